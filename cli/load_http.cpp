#include "cli/load_http.hpp"

#include <boost/asio/connect.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/version.hpp>

namespace bulwark::cli {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

std::optional<Target> parse_target(std::string_view url, std::string& error) {
  constexpr std::string_view scheme = "http://";
  if (url.substr(0, scheme.size()) != scheme) {
    error = "invalid --target '" + std::string(url) + "': use http://HOST:PORT";
    return std::nullopt;
  }
  std::string_view rest = url.substr(scheme.size());
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find('/') != std::string_view::npos || rest.find('?') != std::string_view::npos) {
    error = "invalid --target '" + std::string(url) + "': give no path, only http://HOST:PORT";
    return std::nullopt;
  }

  Target target;
  std::size_t colon = rest.rfind(':');
  if (!rest.empty() && rest.front() == '[') {
    // A bracketed IPv6 literal: [::1]:8080.
    std::size_t close = rest.find(']');
    if (close == std::string_view::npos || close + 1 >= rest.size() || rest[close + 1] != ':') {
      error = "invalid --target '" + std::string(url) + "': use http://[ADDRESS]:PORT for IPv6";
      return std::nullopt;
    }
    target.host = std::string(rest.substr(1, close - 1));
    target.port = std::string(rest.substr(close + 2));
  } else if (colon != std::string_view::npos) {
    target.host = std::string(rest.substr(0, colon));
    target.port = std::string(rest.substr(colon + 1));
  } else {
    target.host = std::string(rest);
    target.port = "80";
  }

  bool port_ok = !target.port.empty() && target.port.size() <= 5;
  for (char c : target.port) port_ok = port_ok && c >= '0' && c <= '9';
  if (target.host.empty() || !port_ok || std::stoul(target.port) > 65535) {
    error = "invalid --target '" + std::string(url) + "': host or port is missing or invalid";
    return std::nullopt;
  }
  return target;
}

HttpConnection::HttpConnection(Target target, std::chrono::milliseconds timeout)
    : target_(std::move(target)), timeout_(timeout), stream_(io_context_) {}

bool HttpConnection::connect(std::string& error) {
  beast::error_code ec;
  tcp::resolver resolver(io_context_);
  auto endpoints = resolver.resolve(target_.host, target_.port, ec);
  if (ec) {
    error = "cannot resolve " + target_.host + ": " + ec.message();
    return false;
  }

  stream_.expires_after(timeout_);
  stream_.async_connect(endpoints,
                        [&ec](beast::error_code result, const tcp::endpoint&) { ec = result; });
  io_context_.restart();
  io_context_.run();
  if (ec) {
    error = "cannot connect to " + target_.host + ":" + target_.port + ": " + ec.message();
    close();
    return false;
  }
  // Requests are small and latency is what the driver measures, so Nagle's delay must not apply.
  stream_.socket().set_option(tcp::no_delay(true), ec);
  connected_ = true;
  return true;
}

void HttpConnection::close() {
  beast::error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream_.close();
  buffer_.clear();
  connected_ = false;
}

HttpReply HttpConnection::send(http::verb method, std::string_view path, std::string_view body,
                               std::string_view bearer_token) {
  HttpReply reply;
  if (!connected_ && !connect(reply.transport_error)) return reply;

  http::request<http::string_body> request{method, std::string(path), 11};
  request.set(http::field::host, target_.host);
  request.set(http::field::user_agent, "bulwark-load");
  if (!bearer_token.empty()) {
    request.set(http::field::authorization, "Bearer " + std::string(bearer_token));
  }
  if (!body.empty()) {
    request.set(http::field::content_type, "application/json");
    request.body() = std::string(body);
  }
  request.keep_alive(true);
  request.prepare_payload();

  http::response<http::string_body> response;
  beast::error_code ec;
  stream_.expires_after(timeout_);
  http::async_write(stream_, request, [&](beast::error_code result, std::size_t) {
    ec = result;
    if (ec) return;
    http::async_read(stream_, buffer_, response,
                     [&ec](beast::error_code read_result, std::size_t) { ec = read_result; });
  });
  io_context_.restart();
  io_context_.run();
  if (ec) {
    reply.transport_error =
        std::string(http::to_string(method)) + " " + std::string(path) + " failed: " + ec.message();
    close();
    return reply;
  }

  reply.transport_ok = true;
  reply.status = response.result_int();
  reply.body = std::move(response.body());
  if (auto it = response.find(http::field::retry_after); it != response.end()) {
    reply.retry_after = std::string(it->value());
  }
  if (!response.keep_alive()) close();
  return reply;
}

}  // namespace bulwark::cli
