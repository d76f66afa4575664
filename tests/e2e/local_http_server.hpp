#pragma once
// A tiny HTTP/1.1 server on 127.0.0.1 with a free port, for tests that need an outside service:
// an alert receiver or a market-data API. One thread accepts; each connection gets a thread that
// reads one request, calls the handler and answers with Connection: close. stop() (also run by
// the destructor) closes the acceptor and joins every thread.
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace bulwark::e2e {

struct LocalRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
};

struct LocalResponse {
  int status = 200;
  std::string body = "{}";
  // Waits this long before answering, to play a slow or hung service. Keep it short: stop()
  // waits for it.
  std::chrono::milliseconds delay{0};
};

class LocalHttpServer {
 public:
  using Handler = std::function<LocalResponse(const LocalRequest&)>;

  explicit LocalHttpServer(Handler handler) : handler_(std::move(handler)), acceptor_(io_) {
    namespace asio = boost::asio;
    asio::ip::tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen();
    // A blocked accept() is not woken by close() from another thread, so the loop polls.
    acceptor_.non_blocking(true);
    port_ = acceptor_.local_endpoint().port();
    accept_thread_ = std::thread([this] { accept_loop(); });
  }

  ~LocalHttpServer() { stop(); }
  LocalHttpServer(const LocalHttpServer&) = delete;
  LocalHttpServer& operator=(const LocalHttpServer&) = delete;

  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

  void stop() {
    if (stopped_.exchange(true)) return;
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    if (accept_thread_.joinable()) accept_thread_.join();
    std::vector<std::thread> threads;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      threads.swap(connection_threads_);
    }
    for (auto& thread : threads) thread.join();
  }

 private:
  void accept_loop() {
    while (!stopped_) {
      boost::system::error_code ec;
      boost::asio::ip::tcp::socket socket(io_);
      acceptor_.accept(socket, ec);
      if (ec == boost::asio::error::would_block || ec == boost::asio::error::try_again) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        continue;
      }
      if (ec) {
        if (stopped_) return;
        continue;
      }
      socket.non_blocking(false, ec);
      std::lock_guard<std::mutex> lock(mutex_);
      connection_threads_.emplace_back([this, s = std::make_shared<boost::asio::ip::tcp::socket>(
                                                  std::move(socket))] { serve(*s); });
    }
  }

  void serve(boost::asio::ip::tcp::socket& socket) {
    namespace http = boost::beast::http;
    boost::beast::flat_buffer buffer;
    http::request<http::string_body> request;
    boost::system::error_code ec;
    http::read(socket, buffer, request, ec);
    if (ec) return;
    LocalRequest local;
    local.method = std::string(request.method_string());
    local.target = std::string(request.target());
    for (const auto& field : request) {
      std::string name(field.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      local.headers[name] = std::string(field.value());
    }
    local.body = request.body();
    LocalResponse reply = handler_(local);
    if (reply.delay.count() > 0) std::this_thread::sleep_for(reply.delay);
    http::response<http::string_body> response{static_cast<http::status>(reply.status), 11};
    response.set(http::field::content_type, "application/json");
    response.set(http::field::connection, "close");
    response.body() = reply.body;
    response.prepare_payload();
    http::write(socket, response, ec);
    socket.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
  }

  Handler handler_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopped_{false};
  std::thread accept_thread_;
  std::mutex mutex_;
  std::vector<std::thread> connection_threads_;
};

}  // namespace bulwark::e2e
