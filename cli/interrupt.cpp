#include "cli/interrupt.hpp"

#include <csignal>

namespace dbsafe::cli {

namespace {

std::shared_ptr<CancelToken> g_cancel;

extern "C" void on_interrupt(int signal) {
  if (g_cancel) g_cancel->request();  // an atomic store: async-signal-safe
  std::signal(signal, SIG_DFL);
}

}  // namespace

InterruptScope::InterruptScope(std::shared_ptr<CancelToken> token) {
  g_cancel = std::move(token);
  previous_int_ = std::signal(SIGINT, on_interrupt);
  previous_term_ = std::signal(SIGTERM, on_interrupt);
}

InterruptScope::~InterruptScope() {
  std::signal(SIGINT, previous_int_);
  std::signal(SIGTERM, previous_term_);
  g_cancel.reset();
}

}  // namespace dbsafe::cli
