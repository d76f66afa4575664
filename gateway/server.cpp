// Beast and Asio code lives in this one translation unit so the rest of the gateway compiles fast.
#include "gateway/server.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <unordered_map>
#include <utility>  // Asio in Boost 1.74 needs std::exchange declared first

#include "gateway/errors.hpp"
#include "gateway/metrics.hpp"
#include "gateway/router.hpp"
#include "gateway/token.hpp"

namespace bulwark::gateway {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t first_read_bytes = 4096;
// After an error response the server half-closes and reads what the client still sends, so the
// client sees the response rather than a reset caused by unread data. These bound that drain.
constexpr std::size_t lingering_bytes_max = 1024 * 1024;
constexpr std::chrono::seconds lingering_timeout{2};
constexpr std::size_t logged_path_length_max = 256;

class Session;

domain::TimePoint system_now() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

bool is_loopback(const asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).is_loopback();
  }
  return address.is_loopback();
}

// Keeps log lines one line long and free of control characters, whatever the client sent.
std::string printable_path(std::string_view target) {
  std::string_view path = target.substr(0, target.find('?'));
  std::string output;
  for (char c : path.substr(0, logged_path_length_max)) {
    output.push_back(c > 0x20 && c < 0x7f ? c : '?');
  }
  return output;
}

tcp::endpoint parse_listen_address(const std::string& listen) {
  std::size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size()) {
    throw std::runtime_error("invalid listen address '" + listen + "': use host:port");
  }
  std::string host = listen.substr(0, colon);
  std::string port_text = listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host == "localhost") host = "127.0.0.1";

  unsigned long port = 0;
  if (port_text.size() > 5 || port_text.find_first_not_of("0123456789") != std::string::npos ||
      (port = std::stoul(port_text)) > 65535) {
    throw std::runtime_error("invalid port in listen address '" + listen + "'");
  }
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) {
    throw std::runtime_error("invalid host in listen address '" + listen +
                             "': use an IP literal or localhost");
  }
  return tcp::endpoint(address, static_cast<std::uint16_t>(port));
}

}  // namespace

struct HttpServer::Core : std::enable_shared_from_this<HttpServer::Core> {
  Core(Options options_in, Backend& backend)
      : options(std::move(options_in)),
        router(backend, options.secret_key,
               options.now ? options.now : std::function<domain::TimePoint()>(system_now), metrics),
        acceptor(asio::make_strand(io_context)),
        accept_retry_timer(acceptor.get_executor()) {
    if (options.stripe_webhooks) router.set_stripe_webhooks(*options.stripe_webhooks);
  }

  void accept_next();
  void on_accept(beast::error_code ec, tcp::socket socket);

  // Returns false once stop() has begun; callers then drop their work.
  [[nodiscard]] bool running() {
    std::lock_guard lock(mutex);
    return !stopped;
  }

  const Options options;
  asio::io_context io_context;
  HttpMetrics metrics;
  Router router;
  tcp::acceptor acceptor;
  asio::steady_timer accept_retry_timer;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_guard;

  // Guards `stopped`, `sessions` and every post from a backend thread, so nothing is posted after
  // stop() begins and the io_context's queue cannot keep a session (and this Core) alive.
  std::mutex mutex;
  bool stopped = false;
  std::unordered_map<std::uint64_t, std::weak_ptr<Session>> sessions;
  std::uint64_t next_session_id = 0;
};

namespace {

// One TCP connection. Every member is touched only on the connection's strand, except the
// HttpResponse handed to deliver() from the backend's thread.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(std::shared_ptr<HttpServer::Core> core, tcp::socket socket, std::uint64_t id)
      : core_(std::move(core)), stream_(std::move(socket)), id_(id) {
    beast::error_code ec;
    auto peer = stream_.socket().remote_endpoint(ec);
    peer_is_loopback_ = !ec && is_loopback(peer.address());
  }

  ~Session() {
    std::lock_guard lock(core_->mutex);
    core_->sessions.erase(id_);
  }

  void start() {
    asio::dispatch(stream_.get_executor(),
                   [self = shared_from_this()] { self->wait_for_request(); });
  }

  // Safe from any thread.
  void close() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] { self->close_now(); });
  }

 private:
  using Parser = http::request_parser<http::string_body>;

  // Waits for the first byte of the next request under the idle timeout (the header timeout on a
  // new connection), so a slow header cannot hide behind the longer keep-alive wait.
  void wait_for_request() {
    if (!core_->running()) return close_now();
    if (buffer_.size() > 0) return read_header();

    const auto& options = core_->options;
    stream_.expires_after(first_request_ ? options.header_read_timeout : options.idle_timeout);
    stream_.async_read_some(buffer_.prepare(first_read_bytes),
                            [self = shared_from_this()](beast::error_code ec, std::size_t bytes) {
                              if (ec) return self->on_read_error(ec, false);
                              self->buffer_.commit(bytes);
                              self->read_header();
                            });
  }

  void read_header() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(core_->options.header_bytes_max));
    parser_->body_limit(core_->options.body_bytes_max);
    request_id_ = core_->router.next_request_id();
    started_ = std::chrono::steady_clock::now();

    stream_.expires_after(core_->options.header_read_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec) return self->on_read_error(ec, true);
                              self->on_header();
                            });
  }

  void on_header() {
    auto& request = parser_->get();
    method_ = std::string(request.method_string());
    path_ = printable_path(std::string_view(request.target().data(), request.target().size()));
    keep_alive_ = request.keep_alive();
    version_ = request.version();

    // Clients such as curl wait for "100 Continue" before sending a larger body.
    bool expects_continue = beast::iequals(request[http::field::expect], "100-continue");
    if (!expects_continue || parser_->is_done()) return read_body();

    continue_response_.emplace(http::status::continue_, version_);
    stream_.expires_after(core_->options.write_timeout);
    http::async_write(stream_, *continue_response_,
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        if (ec) return self->close_now();
                        self->read_body();
                      });
  }

  void read_body() {
    if (parser_->is_done()) return on_request();
    stream_.expires_after(core_->options.header_read_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       if (ec) return self->on_read_error(ec, true);
                       self->on_request();
                     });
  }

  void on_read_error(beast::error_code ec, bool request_started) {
    if (ec == http::error::body_limit) {
      return respond_and_close(error_response(413, "payload_too_large",
                                              "the request body is larger than " +
                                                  std::to_string(core_->options.body_bytes_max) +
                                                  " bytes",
                                              {{"limit_bytes", core_->options.body_bytes_max}}));
    }
    if (ec == http::error::header_limit) {
      return respond_and_close(error_response(431, "invalid_request",
                                              "the request header fields are too large",
                                              {{"limit_bytes", core_->options.header_bytes_max}}));
    }
    // An incomplete request at end of stream or timeout is just a client that left.
    bool client_left = ec == http::error::end_of_stream || ec == http::error::partial_message ||
                       ec == beast::error::timeout || ec == asio::error::eof ||
                       ec == asio::error::operation_aborted || ec == asio::error::connection_reset;
    if (request_started && !client_left &&
        ec.category() == http::make_error_code(http::error::bad_target).category()) {
      return respond_and_close(error_response(
          400, "invalid_request", "the request is not valid HTTP/1.1: " + ec.message()));
    }
    if (!client_left) spdlog::debug("http_read_failed session={} error={}", id_, ec.message());
    close_now();
  }

  void on_request() {
    stream_.expires_never();
    auto& message = parser_->get();
    HttpRequest request;
    request.method = method_;
    request.target = std::string(message.target());
    request.authorization = std::string(message[http::field::authorization]);
    request.stripe_signature = std::string(message["Stripe-Signature"]);
    request.body = std::move(message.body());
    request.peer_is_loopback = peer_is_loopback_;
    request.request_id = request_id_;

    auto replied = std::make_shared<std::atomic<bool>>(false);
    auto self = shared_from_this();
    try {
      core_->router.handle(request, [self, replied](HttpResponse response) {
        if (replied->exchange(true)) return;
        self->deliver(std::move(response));
      });
    } catch (const std::exception& e) {
      spdlog::error("http_handler_failed request_id={} error={}", request_id_, e.what());
      if (!replied->exchange(true)) {
        write_response(
            error_response(500, "internal", "internal error; the request id identifies it"));
      }
    }
  }

  // Called from any thread with the response to the current request.
  void deliver(HttpResponse response) {
    std::lock_guard lock(core_->mutex);
    if (core_->stopped) return;
    asio::post(stream_.get_executor(),
               [self = shared_from_this(), response = std::move(response)]() mutable {
                 self->write_response(std::move(response));
               });
  }

  void respond_and_close(HttpResponse response) {
    if (request_id_.empty()) request_id_ = core_->router.next_request_id();
    response.close = true;
    write_response(std::move(response));
  }

  void write_response(HttpResponse response) {
    if (closed_) return;
    auto latency = std::chrono::steady_clock::now() - started_;
    core_->metrics.record(Router::method_label(method_), response.route, response.status, latency);
    double latency_ms = std::chrono::duration<double, std::milli>(latency).count();
    spdlog::debug("http_request method={} path={} status={} ms={:.3f} request_id={}", method_,
                  path_, response.status, latency_ms, request_id_);

    auto message = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(response.status), version_);
    message->set(http::field::content_type, response.content_type);
    message->set(http::field::cache_control, "no-store");
    message->set("X-Request-Id", request_id_);
    for (const auto& [name, value] : response.headers) message->set(name, value);
    message->keep_alive(keep_alive_ && !response.close);
    message->body() = std::move(response.body);
    message->prepare_payload();

    stream_.expires_after(core_->options.write_timeout);
    http::async_write(stream_, *message,
                      [self = shared_from_this(), message](beast::error_code ec, std::size_t) {
                        if (ec) return self->close_now();
                        if (!message->keep_alive()) return self->lingering_close();
                        self->finish_request();
                        self->wait_for_request();
                      });
  }

  void finish_request() {
    first_request_ = false;
    parser_.reset();
    continue_response_.reset();
    request_id_.clear();
    method_.clear();
    path_.clear();
  }

  void lingering_close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return close_now();
    buffer_.clear();
    stream_.expires_after(lingering_timeout);
    drain();
  }

  void drain() {
    stream_.async_read_some(buffer_.prepare(first_read_bytes),
                            [self = shared_from_this()](beast::error_code ec, std::size_t bytes) {
                              self->drained_bytes_ += bytes;
                              if (ec || self->drained_bytes_ > lingering_bytes_max) {
                                return self->close_now();
                              }
                              self->drain();
                            });
  }

  void close_now() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

  std::shared_ptr<HttpServer::Core> core_;  // first, so it is destroyed after the stream
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<Parser> parser_;
  std::optional<http::response<http::empty_body>> continue_response_;
  std::uint64_t id_ = 0;
  bool peer_is_loopback_ = false;
  bool first_request_ = true;
  bool keep_alive_ = false;
  bool closed_ = false;
  unsigned version_ = 11;
  std::size_t drained_bytes_ = 0;
  std::string request_id_;
  std::string method_;
  std::string path_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace

void HttpServer::Core::accept_next() {
  acceptor.async_accept(asio::make_strand(io_context),
                        [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
                          self->on_accept(ec, std::move(socket));
                        });
}

void HttpServer::Core::on_accept(beast::error_code ec, tcp::socket socket) {
  if (!acceptor.is_open() || !running()) return;
  if (ec) {
    // Usually file descriptor exhaustion: wait briefly instead of spinning on the error.
    spdlog::warn("http_accept_failed error={}", ec.message());
    accept_retry_timer.expires_after(std::chrono::milliseconds(100));
    accept_retry_timer.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
      if (!wait_ec) self->accept_next();
    });
    return;
  }

  std::shared_ptr<Session> session;
  {
    std::lock_guard lock(mutex);
    if (stopped) return;
    std::uint64_t id = ++next_session_id;
    session = std::make_shared<Session>(shared_from_this(), std::move(socket), id);
    sessions.emplace(id, session);
  }
  session->start();
  accept_next();
}

HttpServer::HttpServer(Options options, Backend& backend) {
  if (options.secret_key.size() < secret_bytes_min) {
    throw std::invalid_argument("the token secret must be at least " +
                                std::to_string(secret_bytes_min) + " bytes");
  }
  if (options.threads == 0) throw std::invalid_argument("threads must be at least 1");
  if (options.body_bytes_max == 0) throw std::invalid_argument("body_bytes_max must be at least 1");
  core_ = std::make_shared<Core>(std::move(options), backend);
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start() {
  if (started_) throw std::logic_error("HttpServer::start called twice");
  started_ = true;

  tcp::endpoint endpoint = parse_listen_address(core_->options.listen);
  beast::error_code ec;
  auto& acceptor = core_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    throw std::runtime_error("cannot listen on " + core_->options.listen + ": " + ec.message());
  }
  port_ = acceptor.local_endpoint().port();

  core_->work_guard.emplace(core_->io_context.get_executor());
  core_->accept_next();
  for (std::size_t i = 0; i < core_->options.threads; ++i) {
    threads_.emplace_back([core = core_] {
      // A handler that throws must not take the node down; log it and keep serving.
      while (true) {
        try {
          core->io_context.run();
          return;
        } catch (const std::exception& e) {
          spdlog::error("http_thread_handler_failed error={}", e.what());
        }
      }
    });
  }
  spdlog::info("http_server_started address={} port={} threads={}", endpoint.address().to_string(),
               port_, core_->options.threads);
}

void HttpServer::stop() {
  if (!started_ || stopped_) return;
  stopped_ = true;
  if (threads_.empty()) {
    // start() failed before any thread ran, so there is nothing to post to or join.
    std::lock_guard lock(core_->mutex);
    core_->stopped = true;
    beast::error_code ec;
    core_->acceptor.close(ec);
    return;
  }

  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard lock(core_->mutex);
    core_->stopped = true;
    for (auto& [id, weak] : core_->sessions) {
      if (auto session = weak.lock()) live.push_back(std::move(session));
    }
  }
  // Closing outside the lock: dropping the last reference runs ~Session, which takes the lock.
  asio::post(core_->acceptor.get_executor(), [core = core_] {
    beast::error_code ec;
    core->acceptor.close(ec);
    core->accept_retry_timer.cancel();
  });
  for (auto& session : live) session->close();
  live.clear();

  // The threads return once every socket operation has completed with an error.
  core_->work_guard.reset();
  for (auto& thread : threads_) thread.join();
  threads_.clear();
  spdlog::info("http_server_stopped port={}", port_);
}

std::uint16_t HttpServer::port() const { return port_; }

}  // namespace bulwark::gateway
