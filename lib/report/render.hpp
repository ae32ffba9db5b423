// The renderers of a CheckReport: terminal text, Markdown (GitHub step summary
// or PR comment), SARIF 2.1.0, GitHub Actions workflow commands and JUnit XML
// (docs/formats.md). JSON is CheckReport::to_json(). Every renderer is a pure
// function of its input, so the same report always renders to the same bytes.
#pragma once

#include <string>
#include <string_view>

#include "dbsafe/check.hpp"

namespace dbsafe::report {

struct RenderOptions {
  bool color = false;        // ANSI colours in render_text; the caller sets it only on a TTY
  std::string tool_version;  // dbsafe's version, for SARIF's tool.driver.version
  // Absolute URI of dbsafe's documentation for SARIF's tool.driver.informationUri;
  // left out of the document when empty (the schema requires an absolute URI).
  std::string information_uri;
};

std::string render_text(const CheckReport &report, const RenderOptions &options);
std::string render_markdown(const CheckReport &report, const RenderOptions &options);
std::string render_sarif(const CheckReport &report, const RenderOptions &options);
std::string render_github(const CheckReport &report, const RenderOptions &options);
std::string render_junit(const CheckReport &report, const RenderOptions &options);

// "rows ≈ 1.2M, 1.5 GB, 4 indexes, estimated lock ≈ 15s at 100 MB/s (estimate)",
// prefixed with the table's name; empty when the impact holds no known fact.
std::string describe_impact(const Impact &impact);

// A file path as a SARIF artifact URI: forward slashes, a leading "./" dropped,
// every byte outside RFC 3986's unreserved set and "/" percent-encoded;
// absolute paths become file:// URIs.
std::string path_to_uri(std::string_view path);

}  // namespace dbsafe::report
