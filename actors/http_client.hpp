#pragma once
// An asynchronous HTTP/1.1 client for outbound calls (outbox deliveries, market-data polls). It
// runs Boost.Beast on its own io_context thread, so no CAF scheduler thread ever waits on a
// socket. Only plain http:// URLs are supported. No CAF types here, so this translation unit
// compiles without CAF.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace bulwark::actors {

struct HttpCall {
  std::string method = "GET";
  std::string url;  // http://host[:port][/path]
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // sent with Content-Type application/json when not empty
  std::chrono::milliseconds timeout{2000};  // for resolve, connect, write and read together
  std::size_t response_body_bytes_max = 16 * 1024 * 1024;
};

struct HttpCallResult {
  int status = 0;  // 0 when the call failed before a response arrived
  std::string body;
  std::string error;  // set when status is 0
};

class OutboundHttpClient {
 public:
  OutboundHttpClient();
  ~OutboundHttpClient();
  OutboundHttpClient(const OutboundHttpClient&) = delete;
  OutboundHttpClient& operator=(const OutboundHttpClient&) = delete;

  // Starts the call and returns at once. `done` runs exactly once on the client's thread, so it
  // must not block; after stop() it may not run at all.
  void call(HttpCall call, std::function<void(HttpCallResult)> done);

  // Cancels calls in flight and joins the thread; idempotent.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bulwark::actors
