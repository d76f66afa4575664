// Beast and Asio code lives in this one translation unit so the rest of the gateway compiles fast.
#include "gateway/server.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>
#include <set>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <unordered_map>
#include <utility>  // Asio in Boost 1.74 needs std::exchange declared first

#include "gateway/errors.hpp"
#include "gateway/metrics.hpp"
#include "gateway/request_parsing.hpp"
#include "gateway/router.hpp"
#include "gateway/token.hpp"

namespace bulwark::gateway {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using json = nlohmann::json;

namespace {

constexpr std::size_t first_read_bytes = 4096;
// After an error response the server half-closes and reads what the client still sends, so the
// client sees the response rather than a reset caused by unread data. These bound that drain.
constexpr std::size_t lingering_bytes_max = 1024 * 1024;
constexpr std::chrono::seconds lingering_timeout{2};
constexpr std::size_t logged_path_length_max = 256;

// A connection the server can close when it stops: an HTTP session or a WebSocket session.
class Connection {
 public:
  virtual ~Connection() = default;
  virtual void close() = 0;  // safe from any thread
};

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
  Core(Options options_in, Backend& backend_in)
      : options(std::move(options_in)),
        backend(backend_in),
        router(backend_in, options.secret_key,
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

  // Registers a connection for stop(); returns 0 when the server is stopping.
  std::uint64_t add_connection(const std::shared_ptr<Connection>& connection) {
    std::lock_guard lock(mutex);
    if (stopped) return 0;
    std::uint64_t id = ++next_session_id;
    sessions.emplace(id, connection);
    return id;
  }
  void remove_connection(std::uint64_t id) {
    std::lock_guard lock(mutex);
    sessions.erase(id);
  }

  const Options options;
  Backend& backend;
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
  std::unordered_map<std::uint64_t, std::weak_ptr<Connection>> sessions;
  std::uint64_t next_session_id = 0;
};

namespace {

// One TCP connection. Every member is touched only on the connection's strand, except the
// HttpResponse handed to deliver() from the backend's thread.
class Session : public Connection, public std::enable_shared_from_this<Session> {
 public:
  Session(std::shared_ptr<HttpServer::Core> core, tcp::socket socket)
      : core_(std::move(core)), stream_(std::move(socket)) {
    beast::error_code ec;
    auto peer = stream_.socket().remote_endpoint(ec);
    peer_is_loopback_ = !ec && is_loopback(peer.address());
  }

  ~Session() override {
    if (id_ != 0) core_->remove_connection(id_);
  }

  // Registers the session and starts reading; returns false when the server is stopping.
  bool start() {
    id_ = core_->add_connection(shared_from_this());
    if (id_ == 0) return false;
    asio::dispatch(stream_.get_executor(),
                   [self = shared_from_this()] { self->wait_for_request(); });
    return true;
  }

  void close() override {
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
    if (websocket::is_upgrade(message)) return upgrade();
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

  // Hands the connection to a WebSocket session once the router admits the upgrade.
  void upgrade();

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

// One WebSocket connection. The session's scope comes from its token alone: a tenant session
// subscribes to its own tenant's events, a platform session to platform messages, and nothing a
// client sends can change that. Every member is touched only on the connection's strand.
class WsSession : public Connection, public std::enable_shared_from_this<WsSession> {
 public:
  WsSession(std::shared_ptr<HttpServer::Core> core, tcp::socket socket,
            WebSocketAdmission admission, http::request<http::string_body> upgrade)
      : core_(std::move(core)),
        ws_(std::move(socket)),
        admission_(std::move(admission)),
        upgrade_(std::move(upgrade)),
        force_close_timer_(ws_.get_executor()) {}

  ~WsSession() override {
    if (counted_open_) core_->metrics.websocket.sessions_open--;
    if (id_ != 0) core_->remove_connection(id_);
  }

  bool start() {
    id_ = core_->add_connection(shared_from_this());
    if (id_ == 0) return false;
    asio::dispatch(ws_.get_executor(), [self = shared_from_this()] { self->accept(); });
    return true;
  }

  void close() override {
    asio::post(ws_.get_executor(), [self = shared_from_this()] {
      self->close_with(websocket::close_code::going_away, "the node is stopping");
    });
  }

 private:
  [[nodiscard]] bool is_platform() const { return admission_.claims.role == Role::platform; }

  void accept() {
    const auto& options = core_->options;
    beast::error_code ec;
    ws_.next_layer().socket().set_option(
        asio::socket_base::send_buffer_size(static_cast<int>(options.websocket_send_buffer_bytes)),
        ec);
    websocket::stream_base::timeout timeout{};
    timeout.handshake_timeout = options.header_read_timeout;
    timeout.idle_timeout = options.idle_timeout;
    timeout.keep_alive_pings = true;  // a ping at half the idle timeout keeps live clients open
    ws_.set_option(timeout);
    std::string subprotocol = admission_.subprotocol;
    ws_.set_option(websocket::stream_base::decorator([subprotocol](websocket::response_type& res) {
      if (!subprotocol.empty()) res.set(http::field::sec_websocket_protocol, subprotocol);
    }));
    ws_.read_message_max(client_message_bytes_max);
    ws_.text(true);
    ws_.async_accept(upgrade_, [self = shared_from_this()](beast::error_code accept_ec) {
      self->on_accept(accept_ec);
    });
  }

  void on_accept(beast::error_code ec) {
    if (ec) {
      spdlog::debug("ws_accept_failed session={} error={}", id_, ec.message());
      return;
    }
    upgrade_ = {};
    counted_open_ = true;
    core_->metrics.websocket.sessions_open++;
    core_->metrics.websocket.sessions_total++;
    const auto& claims = admission_.claims;
    spdlog::info("ws_session_opened session={} tenant={} principal={} role={} after={}", id_,
                 claims.tenant, claims.subject, to_string(claims.role),
                 admission_.after ? std::to_string(*admission_.after) : "new");

    // Live frames come from the tenant's actor thread. The sink holds only a weak reference and
    // posts to this strand, so it never runs session code or keeps a closed session alive.
    std::weak_ptr<WsSession> weak = shared_from_this();
    auto executor = ws_.get_executor();
    PushSink sink = [weak, executor](const PushFrame& frame) {
      asio::post(executor, [weak, frame] {
        if (auto self = weak.lock()) self->on_live(frame);
      });
    };
    if (is_platform()) {
      subscription_ = core_->backend.subscribe_platform(std::move(sink));
      replaying_ = false;
      json first = {{"type", "platform_stats"}, {"data", core_->backend.platform_stats()}};
      enqueue(std::make_shared<const std::string>(first.dump()));
    } else {
      subscription_ = core_->backend.subscribe_tenant(claims.tenant, std::move(sink));
      if (admission_.after) {
        last_seq_ = *admission_.after;
        read_page();
      } else {
        replaying_ = false;
      }
    }
    read_next();
  }

  // Reads the journal after last_seq_ through the tenant's owner, one page at a time, while live
  // frames wait in held_; then sends the held frames that the journal did not already cover.
  void read_page() {
    RequestContext context{admission_.claims.tenant, admission_.claims.subject,
                           core_->router.next_request_id()};
    EventsQuery query;
    query.after_seq = last_seq_;
    query.limit = core_->options.websocket_replay_page;
    std::weak_ptr<WsSession> weak = shared_from_this();
    auto executor = ws_.get_executor();
    core_->backend.query(context, query, [weak, executor](BackendResult result) {
      asio::post(executor, [weak, result = std::move(result)]() mutable {
        if (auto self = weak.lock()) self->on_page(std::move(result));
      });
    });
  }

  void on_page(BackendResult result) {
    if (closing_) return;
    if (result.status != BackendResult::Status::ok) {
      spdlog::error("ws_replay_failed session={} tenant={} after={} status={}", id_,
                    admission_.claims.tenant, last_seq_, static_cast<int>(result.status));
      return close_with(websocket::close_code::internal_error,
                        "reading the journal failed; reconnect with ?after=" +
                            std::to_string(last_seq_));
    }
    const json& events = result.body.at("events");
    for (const json& event : events) {
      auto seq = event.at("seq").get<std::uint64_t>();
      if (seq <= last_seq_) continue;
      last_seq_ = seq;
      if (wanted(event.at("type").get<std::string>())) {
        enqueue(std::make_shared<const std::string>(event.dump()));
      }
    }
    if (closing_) return;
    if (events.size() >= core_->options.websocket_replay_page) return read_page();
    replaying_ = false;
    for (const auto& frame : held_) send_tenant_frame(frame);
    held_.clear();
  }

  void on_live(const PushFrame& frame) {
    if (closing_) return;
    if (is_platform()) {
      if (wanted(frame.type)) enqueue(frame.payload);
      return;
    }
    if (replaying_) {
      if (held_.size() >= core_->options.websocket_queue_frames_max) return slow_consumer();
      held_.push_back(frame);
      return;
    }
    send_tenant_frame(frame);
  }

  // Sends a tenant frame unless the journal replay already sent it, so a resumed client sees
  // every sequence number once and in order.
  void send_tenant_frame(const PushFrame& frame) {
    if (frame.seq <= last_seq_) return;
    last_seq_ = frame.seq;
    if (wanted(frame.type)) enqueue(frame.payload);
  }

  [[nodiscard]] bool wanted(const std::string& type) const {
    return types_.empty() || types_.count(type) > 0;
  }

  void enqueue(std::shared_ptr<const std::string> payload) {
    if (closing_) return;
    if (queue_.size() >= core_->options.websocket_queue_frames_max) return slow_consumer();
    queue_.push_back(std::move(payload));
    if (!writing_) write_next();
  }

  void write_next() {
    writing_ = true;
    ws_.async_write(asio::buffer(*queue_.front()),
                    [self = shared_from_this()](beast::error_code ec, std::size_t) {
                      self->writing_ = false;
                      if (ec) return self->abort(ec);
                      self->core_->metrics.websocket.frames_sent_total++;
                      if (!self->queue_.empty()) self->queue_.pop_front();
                      if (self->closing_) return self->send_close();
                      if (!self->queue_.empty()) self->write_next();
                    });
  }

  void slow_consumer() {
    core_->metrics.websocket.slow_consumer_closes_total++;
    spdlog::warn("ws_slow_consumer session={} tenant={} queued={} last_seq={}", id_,
                 admission_.claims.tenant, queue_.size(), last_seq_);
    close_with(websocket::close_code::try_again_later,
               "the client read too slowly; reconnect with ?after=SEQ");
  }

  // Drops every queued frame and sends a close frame once the write in flight, if any, ends. A
  // client that reads nothing never lets that write end, so a timer closes the socket after the
  // handshake timeout either way.
  void close_with(websocket::close_code code, std::string reason) {
    if (closing_) return;
    closing_ = true;
    close_reason_ = websocket::close_reason(code, std::move(reason));
    queue_.clear();
    held_.clear();
    subscription_.reset();
    force_close_timer_.expires_after(core_->options.header_read_timeout);
    force_close_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->abort(beast::error::timeout);
    });
    if (!writing_) send_close();
  }

  void send_close() {
    if (close_sent_ || !ws_.is_open()) return;
    close_sent_ = true;
    ws_.async_close(close_reason_, [self = shared_from_this()](beast::error_code ec) {
      self->force_close_timer_.cancel();
      if (ec) self->abort(ec);
    });
  }

  void abort(beast::error_code ec) {
    if (ec != websocket::error::closed && ec != asio::error::operation_aborted &&
        ec != beast::error::timeout) {
      spdlog::debug("ws_session_failed session={} error={}", id_, ec.message());
    }
    closing_ = true;
    queue_.clear();
    held_.clear();
    subscription_.reset();
    force_close_timer_.cancel();
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(ws_).close();
  }

  void read_next() {
    ws_.async_read(read_buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) {
        if (ec == websocket::error::closed) {
          spdlog::info("ws_session_closed session={} tenant={}", self->id_,
                       self->admission_.claims.tenant);
        }
        return self->abort(ec);
      }
      std::string text = beast::buffers_to_string(self->read_buffer_.data());
      self->read_buffer_.consume(self->read_buffer_.size());
      self->on_client_message(text);
      if (!self->closing_) self->read_next();
    });
  }

  // Client messages: {"op": "filter", "types": [...]} narrows the event types sent ([] sends all
  // again). A message whose "tenant" or "tenant_id" field names a tenant other than the session's
  // closes it with 1008.
  void on_client_message(const std::string& text) {
    json message = json::parse(text, nullptr, false);
    if (message.is_object() && check_tenant_fields(message, admission_.claims.tenant)) {
      spdlog::warn("ws_policy_violation session={} tenant={} reason=other_tenant", id_,
                   admission_.claims.tenant);
      core_->metrics.websocket.policy_closes_total++;
      return close_with(websocket::close_code::policy_error,
                        "a session receives only its own tenant's data");
    }
    if (!message.is_object() || message.value("op", "") != "filter" ||
        !message.contains("types") || !message["types"].is_array()) {
      return send_control({{"type", "error"},
                           {"error",
                            {{"code", "invalid_request"},
                             {"message", R"(send {"op": "filter", "types": ["..."]})"}}}});
    }
    std::set<std::string> types;
    for (const json& type : message["types"]) {
      if (!type.is_string() || type.get<std::string>().empty() || types.size() >= 64) {
        return send_control(
            {{"type", "error"},
             {"error", {{"code", "invalid_request"}, {"message", "types must be names"}}}});
      }
      types.insert(type.get<std::string>());
    }
    types_ = std::move(types);
    send_control({{"type", "filter_set"}, {"types", types_}});
  }

  void send_control(const json& message) {
    enqueue(std::make_shared<const std::string>(message.dump()));
  }

  static constexpr std::size_t client_message_bytes_max = 4096;

  std::shared_ptr<HttpServer::Core> core_;  // first, so it is destroyed after the stream
  websocket::stream<beast::tcp_stream> ws_;
  WebSocketAdmission admission_;
  http::request<http::string_body> upgrade_;
  asio::steady_timer force_close_timer_;
  std::shared_ptr<void> subscription_;
  beast::flat_buffer read_buffer_;
  std::deque<std::shared_ptr<const std::string>> queue_;
  std::vector<PushFrame> held_;  // live frames that arrived during the journal replay
  std::set<std::string> types_;  // empty: every type
  std::uint64_t id_ = 0;
  std::uint64_t last_seq_ = 0;  // the newest sequence number sent or skipped by the filter
  bool replaying_ = true;
  bool writing_ = false;
  bool closing_ = false;
  bool close_sent_ = false;
  bool counted_open_ = false;  // counted in sessions_open once the handshake succeeded
  websocket::close_reason close_reason_;
};

void Session::upgrade() {
  auto& message = parser_->get();
  HttpRequest request;
  request.method = method_;
  request.target = std::string(message.target());
  request.authorization = std::string(message[http::field::authorization]);
  request.websocket_protocols = std::string(message[http::field::sec_websocket_protocol]);
  request.peer_is_loopback = peer_is_loopback_;
  request.request_id = request_id_;
  auto admitted = core_->router.admit_websocket(request);
  if (auto* failure = std::get_if<HttpResponse>(&admitted)) {
    return respond_and_close(std::move(*failure));
  }
  core_->metrics.record("GET", "/v1/ws", 101, std::chrono::steady_clock::now() - started_);
  auto session = std::make_shared<WsSession>(core_, stream_.release_socket(),
                                             std::get<WebSocketAdmission>(std::move(admitted)),
                                             parser_->release());
  closed_ = true;  // the socket now belongs to the WebSocket session
  session->start();
}

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

  auto session = std::make_shared<Session>(shared_from_this(), std::move(socket));
  if (!session->start()) return;
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

  std::vector<std::shared_ptr<Connection>> live;
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
