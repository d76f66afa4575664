#pragma once
// The HTTP/1.1 server of a node: Boost.Beast on Asio, with keep-alive, per-phase timeouts and a
// request body limit. Router authenticates, validates and routes each request. The Backend's
// callback may run on any thread, so the response is posted back to the connection's strand and
// no Asio thread waits for the backend.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "domain/time.hpp"
#include "gateway/backend.hpp"
#include "gateway/stripe_webhook.hpp"

namespace bulwark::gateway {

// Settings of an HttpServer.
struct ServerOptions {
  // "host:port" with an IPv4 literal, a bracketed IPv6 literal or "localhost". Port 0 lets the
  // system pick a free port, which port() then returns.
  std::string listen = "127.0.0.1:8080";
  // HMAC key for bearer tokens, at least secret_bytes_min bytes (see read_secret_file).
  std::string secret_key;
  // Asio threads that run the listener and the connections.
  std::size_t threads = 2;
  // A larger body, declared or streamed, gets 413 payload_too_large.
  std::size_t body_bytes_max = 64 * 1024;
  // Request line plus header fields. A larger header gets 431.
  std::size_t header_bytes_max = 16 * 1024;
  // Bounds reading a request's header (on a new connection, from the accept), and then again
  // reading its body.
  std::chrono::milliseconds header_read_timeout{10'000};
  // How long a keep-alive connection may wait for its next request.
  std::chrono::milliseconds idle_timeout{60'000};
  // Bounds writing one response to a slow client.
  std::chrono::milliseconds write_timeout{30'000};
  // Clock for token expiry. When empty, the server uses the system clock.
  std::function<domain::TimePoint()> now;
  // Frames a WebSocket session may hold for a client that reads slower than its tenant writes. A
  // session over the bound is closed with code 1013 and reconnects with ?after=SEQ.
  std::size_t websocket_queue_frames_max = 1024;
  // Kernel send buffer of a WebSocket connection, so a client that stops reading is found after
  // a bounded amount of data rather than after the kernel's own maximum.
  std::size_t websocket_send_buffer_bytes = 64 * 1024;
  // Events read from the journal per page when a session resumes with ?after=SEQ.
  std::size_t websocket_replay_page = 500;
  // POST /v1/webhooks/stripe returns 503 unless this is set.
  std::optional<StripeWebhookOptions> stripe_webhooks;
};

class HttpServer {
 public:
  using Options = ServerOptions;

  // `backend` must outlive the server. Throws std::invalid_argument on a key shorter than
  // secret_bytes_min, zero threads or a zero body limit.
  HttpServer(Options options, Backend& backend);
  // Stops the server if it is running.
  ~HttpServer();

  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds, listens and starts the threads. Throws std::runtime_error when the address is invalid
  // or cannot be bound, and std::logic_error when called a second time.
  void start();
  // Closes the listener and every connection, then joins the threads. A backend callback that
  // arrives later is dropped. Idempotent; must not be called from a server thread.
  void stop();

  // The bound port; valid after start().
  [[nodiscard]] std::uint16_t port() const;

  struct Core;  // Asio state shared with connections; defined in server.cpp

 private:
  std::shared_ptr<Core> core_;
  std::vector<std::thread> threads_;
  std::uint16_t port_ = 0;
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace bulwark::gateway
