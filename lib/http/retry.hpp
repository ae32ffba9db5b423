// The retry policy of the HTTP client, kept free of I/O so it can be tested
// on its own.
#pragma once

#include <chrono>
#include <optional>
#include <random>
#include <string_view>

namespace dbsafe::http {

// Whether a response with `status` asks for the request to be sent again.
// Any request: 423 Locked, 429 Too Many Requests and 503 Service Unavailable
// (the server says it did not apply the request). Idempotent requests also:
// 500, 502 and 504.
bool retryable_status(int status, bool idempotent) noexcept;

// Exponential backoff with full jitter: a uniformly random delay in
// [0, min(cap, base * 2^(retry - 1))] for retry number `retry` (1-based).
std::chrono::milliseconds backoff_delay(int retry, std::chrono::milliseconds base,
                                        std::chrono::milliseconds cap, std::mt19937_64 &rng);

// The delay a Retry-After header value asks for: delta-seconds ("120") or an
// HTTP-date ("Wed, 21 Oct 2015 07:28:00 GMT", also the RFC 850 and asctime
// forms), relative to `now`. A date in the past means 0; an unreadable value
// nullopt.
std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now);

}  // namespace dbsafe::http
