#include "actors/http_client.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>
#include <thread>
#include <utility>

namespace bulwark::actors {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct ParsedUrl {
  std::string host;
  std::string port = "80";
  std::string target = "/";
};

std::optional<ParsedUrl> parse_url(const std::string& url) {
  constexpr std::string_view scheme = "http://";
  if (url.compare(0, scheme.size(), scheme) != 0) return std::nullopt;
  std::string rest = url.substr(scheme.size());
  std::size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  ParsedUrl parsed;
  if (slash != std::string::npos) parsed.target = rest.substr(slash);
  std::size_t colon = authority.rfind(':');
  if (colon != std::string::npos) {
    parsed.port = authority.substr(colon + 1);
    authority = authority.substr(0, colon);
  }
  if (authority.empty() || parsed.port.empty()) return std::nullopt;
  parsed.host = authority;
  return parsed;
}

// One call: resolve, connect, write, read, each bounded by the one deadline of the call.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(asio::io_context& io, HttpCall call, std::function<void(HttpCallResult)> done)
      : resolver_(io), stream_(io), call_(std::move(call)), done_(std::move(done)) {}

  void start() {
    auto url = parse_url(call_.url);
    if (!url) return finish_error("invalid url: only http://host[:port]/path is supported");
    request_.method_string(call_.method);
    request_.target(url->target);
    request_.version(11);
    request_.set(http::field::host, url->host + ":" + url->port);
    request_.set(http::field::user_agent, "bulwark");
    request_.set(http::field::connection, "close");
    for (const auto& [name, value] : call_.headers) request_.set(name, value);
    if (!call_.body.empty()) {
      request_.set(http::field::content_type, "application/json");
      request_.body() = call_.body;
    }
    request_.prepare_payload();
    parser_.body_limit(call_.response_body_bytes_max);

    stream_.expires_after(call_.timeout);
    resolver_.async_resolve(
        url->host, url->port,
        [self = shared_from_this()](beast::error_code ec, tcp::resolver::results_type results) {
          self->on_resolve(ec, std::move(results));
        });
  }

 private:
  void on_resolve(beast::error_code ec, tcp::resolver::results_type results) {
    if (ec) return finish_error("resolve failed: " + ec.message());
    stream_.async_connect(results,
                          [self = shared_from_this()](beast::error_code ec, const tcp::endpoint&) {
                            self->on_connect(ec);
                          });
  }

  void on_connect(beast::error_code ec) {
    if (ec) return finish_error("connect failed: " + ec.message());
    http::async_write(
        stream_, request_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_write(ec); });
  }

  void on_write(beast::error_code ec) {
    if (ec) return finish_error("write failed: " + ec.message());
    http::async_read(
        stream_, buffer_, parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec) return finish_error("read failed: " + ec.message());
    HttpCallResult result;
    result.status = static_cast<int>(parser_.get().result_int());
    result.body = std::move(parser_.get().body());
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    done_(std::move(result));
  }

  void finish_error(std::string error) {
    HttpCallResult result;
    result.error = std::move(error);
    done_(std::move(result));
  }

  tcp::resolver resolver_;
  beast::tcp_stream stream_;
  HttpCall call_;
  std::function<void(HttpCallResult)> done_;
  http::request<http::string_body> request_;
  beast::flat_buffer buffer_;
  http::response_parser<http::string_body> parser_;
};

}  // namespace

struct OutboundHttpClient::Impl {
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  std::thread thread;
  bool stopped = false;
};

OutboundHttpClient::OutboundHttpClient() : impl_(std::make_unique<Impl>()) {
  impl_->thread = std::thread([impl = impl_.get()] {
    spdlog::info("http_client_started");
    impl->io.run();
    spdlog::info("http_client_stopped");
  });
}

OutboundHttpClient::~OutboundHttpClient() { stop(); }

void OutboundHttpClient::call(HttpCall call, std::function<void(HttpCallResult)> done) {
  asio::post(impl_->io,
             [impl = impl_.get(), call = std::move(call), done = std::move(done)]() mutable {
               std::make_shared<Session>(impl->io, std::move(call), std::move(done))->start();
             });
}

void OutboundHttpClient::stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  impl_->work.reset();
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace bulwark::actors
