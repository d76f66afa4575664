#pragma once
// A blocking HTTP/1.1 keep-alive client for the load driver: one connection per worker thread.
// Each call runs Boost.Beast's asynchronous operations on the connection's own io_context, which
// is how a deadline can bound connect, write and read without another thread.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/verb.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace bulwark::cli {

// The parts of an "http://host:port" URL that the driver uses. Paths, queries and https are
// rejected because every request names its own path.
struct Target {
  std::string host;
  std::string port;
};

// Returns the target, or nullopt with `error` set to a message naming the invalid part.
[[nodiscard]] std::optional<Target> parse_target(std::string_view url, std::string& error);

struct HttpReply {
  bool transport_ok = false;  // false when connecting, writing or reading failed or timed out
  std::string transport_error;
  unsigned status = 0;
  std::string body;
  std::string retry_after;  // the Retry-After header, empty when absent
};

class HttpConnection {
 public:
  HttpConnection(Target target, std::chrono::milliseconds timeout);

  // Sends one request and waits for the reply, connecting first when no connection is open. After
  // a transport failure the connection is closed, so the next call reconnects.
  [[nodiscard]] HttpReply send(boost::beast::http::verb method, std::string_view path,
                               std::string_view body, std::string_view bearer_token);

 private:
  [[nodiscard]] bool connect(std::string& error);
  void close();

  Target target_;
  std::chrono::milliseconds timeout_;
  boost::asio::io_context io_context_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  bool connected_ = false;
};

}  // namespace bulwark::cli
