#pragma once
// Shared pieces of the gateway's HTTP tests: a recording Backend that replies from another thread,
// a synchronous Beast client over 127.0.0.1, and a fixture that runs an HttpServer on port 0.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "domain/views.hpp"
#include "gateway/backend.hpp"
#include "gateway/server.hpp"
#include "gateway/token.hpp"

namespace bulwark::gateway::testing {

inline const std::string test_key = "0123456789abcdef0123456789abcdef-test-key";
inline constexpr std::int64_t test_now_s = 1'790'000'000;  // 2026-09-21, fixed for token expiry

struct RecordedCall {
  RequestContext context;
  std::variant<domain::Command, Query> request;
};

// Records every call and replies through `responder` on a thread of its own, as the real backend
// replies from a CAF thread.
class FakeBackend : public Backend {
 public:
  using Responder = std::function<BackendResult(const RecordedCall&)>;

  ~FakeBackend() override {
    std::lock_guard lock(mutex_);
    for (auto& thread : threads_) thread.join();
  }

  void submit(const RequestContext& context, domain::Command command,
              BackendCallback done) override {
    answer(RecordedCall{context, std::move(command)}, std::move(done));
  }

  void query(const RequestContext& context, Query query, BackendCallback done) override {
    answer(RecordedCall{context, std::move(query)}, std::move(done));
  }

  [[nodiscard]] bool ready() const override { return ready_.load(); }
  [[nodiscard]] std::string metrics_text() const override {
    return "# TYPE bulwark_backend_test_gauge gauge\nbulwark_backend_test_gauge 7\n";
  }

  void set_ready(bool ready) { ready_.store(ready); }
  void set_responder(Responder responder) {
    std::lock_guard lock(mutex_);
    responder_ = std::move(responder);
  }
  [[nodiscard]] std::vector<RecordedCall> calls() const {
    std::lock_guard lock(mutex_);
    return calls_;
  }

  // Returns the default reply: ok, and created for commands that create an entity.
  static BackendResult default_answer(const RecordedCall& call) {
    BackendResult result;
    result.body = {{"ok", true}};
    if (auto* command = std::get_if<domain::Command>(&call.request)) {
      result.created = domain::creates_entity(*command);
    }
    return result;
  }

 private:
  void answer(RecordedCall call, BackendCallback done) {
    std::lock_guard lock(mutex_);
    calls_.push_back(call);
    Responder responder = responder_ ? responder_ : Responder(default_answer);
    threads_.emplace_back(
        [responder, call = std::move(call), done = std::move(done)] { done(responder(call)); });
  }

  mutable std::mutex mutex_;
  std::vector<RecordedCall> calls_;
  std::vector<std::thread> threads_;
  Responder responder_;
  std::atomic<bool> ready_{true};
};

struct TestResponse {
  unsigned status = 0;
  std::string body;
  boost::beast::http::fields headers;
  bool keep_alive = false;

  [[nodiscard]] nlohmann::json json() const {
    return nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  }
  [[nodiscard]] std::string error_code() const {
    auto value = json();
    if (!value.is_object() || !value.contains("error")) return "<no error body>";
    return value["error"].value("code", "<no code>");
  }
  [[nodiscard]] std::string error_field() const {
    auto value = json();
    if (!value.is_object() || !value.contains("error")) return "<no error body>";
    return value["error"]["details"].value("field", "<no field>");
  }
};

// A synchronous HTTP/1.1 client on one keep-alive connection.
class TestClient {
 public:
  explicit TestClient(std::uint16_t port) : socket_(io_context_) {
    socket_.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  }

  TestResponse send(boost::beast::http::verb method, const std::string& target,
                    const std::string& token = {}, const std::string& body = {},
                    const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    namespace http = boost::beast::http;
    http::request<http::string_body> request{method, target, 11};
    request.set(http::field::host, "127.0.0.1");
    if (!token.empty()) request.set(http::field::authorization, "Bearer " + token);
    for (const auto& [name, value] : headers) request.set(name, value);
    if (!body.empty()) request.set(http::field::content_type, "application/json");
    request.body() = body;
    request.prepare_payload();
    http::write(socket_, request);
    return receive();
  }

  // Writes raw bytes, for requests Beast would refuse to serialize.
  void send_raw(const std::string& bytes) {
    boost::asio::write(socket_, boost::asio::buffer(bytes));
  }

  TestResponse receive() {
    namespace http = boost::beast::http;
    http::response_parser<http::string_body> parser;
    parser.body_limit(16 * 1024 * 1024);
    http::read(socket_, buffer_, parser);
    auto& message = parser.get();
    TestResponse response;
    response.status = message.result_int();
    response.body = message.body();
    response.headers = message.base();
    response.keep_alive = message.keep_alive();
    return response;
  }

  // True when the server has closed the connection (a read returns end of stream).
  bool closed_by_server() {
    boost::beast::error_code ec;
    char byte = 0;
    socket_.read_some(boost::asio::buffer(&byte, 1), ec);
    return ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset;
  }

 private:
  boost::asio::io_context io_context_;
  boost::asio::ip::tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
};

inline std::string make_token(Role role, const std::string& tenant = "t1",
                              const std::string& subject = "alice",
                              std::int64_t expires_at_s = test_now_s + 3600) {
  TokenClaims claims;
  claims.subject = subject;
  claims.tenant = role == Role::platform ? std::string() : tenant;
  claims.role = role;
  claims.issued_at_s = test_now_s - 60;
  claims.expires_at_s = expires_at_s;
  return sign_token(claims, test_key);
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override { start_server(HttpServer::Options{}); }
  void TearDown() override {
    if (server_) server_->stop();
  }

  void start_server(HttpServer::Options options) {
    if (server_) server_->stop();
    options.listen = "127.0.0.1:0";
    options.secret_key = test_key;
    options.now = [] { return domain::from_unix_ms(test_now_s * 1000); };
    server_ = std::make_unique<HttpServer>(std::move(options), backend_);
    server_->start();
  }

  TestClient client() { return TestClient(server_->port()); }

  FakeBackend backend_;
  std::unique_ptr<HttpServer> server_;
};

}  // namespace bulwark::gateway::testing
