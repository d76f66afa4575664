#include "node_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

extern char** environ;

namespace bulwark::e2e {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

constexpr std::size_t secret_length = 40;
constexpr std::uint64_t response_body_bytes_max = 64ull * 1024 * 1024;
constexpr auto poll_interval = 20ms;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string random_secret() {
  static constexpr char alphabet[] =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::random_device device;
  std::uniform_int_distribution<std::size_t> pick(0, sizeof(alphabet) - 2);
  std::string secret;
  for (std::size_t i = 0; i < secret_length; ++i) secret.push_back(alphabet[pick(device)]);
  return secret;
}

std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "signal " + std::to_string(WTERMSIG(status));
  return "wait status " + std::to_string(status);
}

// Starts `argv` with stdin from /dev/null and stdout appended to `output_path`. Stderr goes to
// `error_path`, or to the same file when that is empty.
pid_t spawn_process(const std::vector<std::string>& args, const std::string& output_path,
                    const std::string& error_path = "") {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, output_path.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (error_path.empty()) {
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
  } else {
    posix_spawn_file_actions_addopen(&actions, 2, error_path.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0600);
  }

  std::vector<char*> argv;
  for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);

  pid_t pid = -1;
  int error = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (error != 0) {
    throw std::runtime_error("posix_spawn of " + args[0] + " failed: " + std::strerror(error));
  }
  return pid;
}

// Polls waitpid until the child exits or `timeout` passes. Returns true when it was reaped.
bool wait_for_exit(pid_t pid, std::chrono::milliseconds timeout, int& status) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    pid_t reaped = waitpid(pid, &status, WNOHANG);
    if (reaped == pid) return true;
    if (reaped < 0 && errno != EINTR) return true;  // not our child any more
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(poll_interval);
  }
}

}  // namespace

TempDir::TempDir() {
  char pattern[] = "/tmp/bulwark-e2e-XXXXXX";
  if (mkdtemp(pattern) == nullptr) {
    throw std::runtime_error(std::string("mkdtemp failed: ") + std::strerror(errno));
  }
  path_ = pattern;
}

TempDir::~TempDir() {
  if (keep_) return;
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string HttpResponse::error_code() const {
  if (!body_json.is_object()) return "";
  auto error = body_json.find("error");
  if (error == body_json.end() || !error->is_object()) return "";
  auto code = error->find("code");
  if (code == error->end() || !code->is_string()) return "";
  return code->get<std::string>();
}

std::string HttpResponse::describe() const {
  if (status == 0) return "transport error: " + transport_error;
  std::string text = body.size() > 400 ? body.substr(0, 400) + "..." : body;
  return "HTTP " + std::to_string(status) + " " + text;
}

struct HttpClient::Impl {
  std::uint16_t port = 0;
  std::chrono::milliseconds timeout{0};
  asio::io_context io;
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;

  void close() {
    if (stream) {
      beast::error_code ignored;
      stream->socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
      stream->close();
    }
    stream.reset();
    buffer.clear();
  }

  // Runs the queued asynchronous operations; the stream's own timer bounds them.
  void run() {
    io.restart();
    io.run();
  }

  beast::error_code open() {
    close();
    stream.emplace(io);
    stream->expires_after(timeout);
    beast::error_code result = asio::error::would_block;
    asio::ip::tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
    stream->async_connect(endpoint, [&result](beast::error_code ec) { result = ec; });
    run();
    if (result) stream.reset();
    return result;
  }
};

HttpClient::HttpClient(std::uint16_t port, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>()) {
  impl_->port = port;
  impl_->timeout = timeout;
}

HttpClient::~HttpClient() { impl_->close(); }

bool HttpClient::connect() {
  if (impl_->stream) return true;
  return !impl_->open();
}

HttpResponse HttpClient::request(const std::string& method, const std::string& target,
                                 const std::string& token, const std::string& body,
                                 const std::vector<std::pair<std::string, std::string>>& headers) {
  HttpResponse response;
  if (!impl_->stream) {
    if (auto error = impl_->open()) {
      response.transport_error = "connect to 127.0.0.1:" + std::to_string(impl_->port) +
                                 " failed: " + error.message();
      return response;
    }
  }

  http::request<http::string_body> request;
  http::verb verb = http::string_to_verb(method);
  if (verb == http::verb::unknown) {
    request.method_string(method);
  } else {
    request.method(verb);
  }
  request.target(target);
  request.version(11);
  request.set(http::field::host, "127.0.0.1:" + std::to_string(impl_->port));
  request.keep_alive(true);
  if (!token.empty()) request.set(http::field::authorization, "Bearer " + token);
  if (!body.empty()) request.set(http::field::content_type, "application/json");
  for (const auto& [name, value] : headers) request.set(name, value);
  request.body() = body;
  request.prepare_payload();

  http::response_parser<http::string_body> parser;
  parser.body_limit(response_body_bytes_max);
  beast::error_code write_error = asio::error::would_block;
  beast::error_code read_error = asio::error::would_block;
  impl_->stream->expires_after(impl_->timeout);
  http::async_write(*impl_->stream, request,
                    [this, &parser, &write_error, &read_error](beast::error_code ec, std::size_t) {
                      write_error = ec;
                      // Reads even after a failed write: a server may respond (413) and close
                      // before it has read the whole body.
                      http::async_read(*impl_->stream, impl_->buffer, parser,
                                       [&read_error](beast::error_code ec, std::size_t) {
                                         read_error = ec;
                                       });
                    });
  impl_->run();

  if (read_error) {
    response.transport_error = (write_error ? "write failed: " + write_error.message() + ", " : "") +
                               "read failed: " + read_error.message();
    impl_->close();
    return response;
  }
  auto message = parser.release();
  response.status = static_cast<int>(message.result_int());
  for (const auto& field : message) {
    std::string name(field.name_string());
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    response.headers[name] = std::string(field.value());
  }
  response.body = std::move(message.body());
  response.body_json = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (write_error || !message.keep_alive()) impl_->close();
  return response;
}

HttpResponse HttpClient::get(const std::string& target, const std::string& token) {
  return request("GET", target, token);
}

HttpResponse HttpClient::post(const std::string& target, const json& body,
                              const std::string& token) {
  return request("POST", target, token, body.dump());
}

HttpResponse HttpClient::put(const std::string& target, const json& body,
                             const std::string& token) {
  return request("PUT", target, token, body.dump());
}

NodeProcess::NodeProcess(NodeOptions options) : options_(std::move(options)) {
  data_dir_ = dir_.path() + "/data";
  secret_path_ = dir_.path() + "/secret";
  port_path_ = dir_.path() + "/port";
  log_path_ = dir_.path() + "/node.log";
  secret_ = random_secret();
  std::ofstream(secret_path_, std::ios::binary) << secret_;
  std::filesystem::permissions(secret_path_, std::filesystem::perms::owner_read |
                                                 std::filesystem::perms::owner_write);
}

NodeProcess::~NodeProcess() {
  if (running()) kill();
}

bool NodeProcess::start() {
  if (running()) {
    last_error_ = "start() called while the node is running";
    return false;
  }
  std::error_code ignored;
  std::filesystem::remove(port_path_, ignored);
  port_ = 0;
  {
    std::ofstream log(log_path_, std::ios::app);
    log << "---- e2e harness: starting bulwark node on " << data_dir_ << "\n";
  }

  std::vector<std::string> args = {BULWARK_BINARY,
                                   "node",
                                   "--data",
                                   data_dir_,
                                   "--listen",
                                   "127.0.0.1:0",
                                   "--port-file",
                                   port_path_,
                                   "--secret-file",
                                   secret_path_,
                                   "--snapshot-every",
                                   std::to_string(options_.snapshot_every),
                                   "--passivate-after",
                                   options_.passivate_after};
  args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
  try {
    pid_ = spawn_process(args, log_path_);
  } catch (const std::exception& e) {
    last_error_ = e.what();
    return false;
  }
  return wait_ready();
}

bool NodeProcess::wait_ready() {
  auto deadline = std::chrono::steady_clock::now() + options_.ready_timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      last_error_ = "node exited before it was ready (" + describe_wait_status(status) + ")";
      return false;
    }
    // The node writes "PORT\n"; without the newline the file may still be half written.
    std::string text = read_file(port_path_);
    if (!text.empty() && text.back() == '\n') {
      int port = std::atoi(text.c_str());
      if (port > 0 && port < 65536) {
        port_ = static_cast<std::uint16_t>(port);
        HttpClient probe(port_, 2s);
        if (probe.get("/readyz").status == 200) return true;
      }
    }
    std::this_thread::sleep_for(50ms);
  }
  last_error_ = "node not ready within " + std::to_string(options_.ready_timeout.count()) +
                " ms (port file: '" + read_file(port_path_) + "')";
  kill();
  return false;
}

int NodeProcess::stop() {
  if (!running()) return -1;
  ::kill(pid_, SIGTERM);
  int status = 0;
  if (!wait_for_exit(pid_, options_.stop_timeout, status)) {
    last_error_ = "node did not stop within " + std::to_string(options_.stop_timeout.count()) +
                  " ms of SIGTERM; killed it";
    kill();
    return -1;
  }
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void NodeProcess::kill() {
  if (!running()) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  // SIGKILL cannot be caught, so the wait ends unless the kernel is stuck in I/O.
  wait_for_exit(pid_, 30s, status);
  pid_ = -1;
}

std::string NodeProcess::log_tail(std::size_t lines) const {
  std::string text = read_file(log_path_);
  std::size_t position = text.size();
  std::size_t found = 0;
  while (position > 0 && found <= lines) {
    position = text.rfind('\n', position - 1);
    if (position == std::string::npos) {
      position = 0;
      break;
    }
    ++found;
  }
  return text.substr(position);
}

std::string NodeProcess::token(const std::string& tenant, const std::string& principal,
                               gateway::Role role, std::chrono::seconds ttl) const {
  std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  gateway::TokenClaims claims;
  claims.subject = principal;
  claims.tenant = tenant;
  claims.role = role;
  claims.expires_at_s = now + ttl.count();
  // An expired token was issued an hour before it expired, so only `exp` makes it invalid.
  claims.issued_at_s = ttl.count() > 0 ? now : claims.expires_at_s - 3600;
  return gateway::sign_token(claims, secret_);
}

ToolResult NodeProcess::run_tool(const std::vector<std::string>& args,
                                 std::chrono::milliseconds timeout) {
  ToolResult result;
  TempDir output_dir;
  std::string output_path = output_dir.path() + "/stdout";
  std::string error_path = output_dir.path() + "/stderr";

  std::vector<std::string> argv = {BULWARK_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  pid_t pid = -1;
  try {
    pid = spawn_process(argv, output_path, error_path);
  } catch (const std::exception& e) {
    result.output = e.what();
    return result;
  }
  int status = 0;
  if (wait_for_exit(pid, timeout, status)) {
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  } else {
    ::kill(pid, SIGKILL);
    wait_for_exit(pid, 30s, status);
  }
  result.standard_output = read_file(output_path);
  result.standard_error = read_file(error_path);
  result.output = "stdout:\n" + result.standard_output + "stderr:\n" + result.standard_error;
  return result;
}

ToolJson parse_tool_json(const std::string& standard_output) {
  ToolJson parsed;
  parsed.strict = json::parse(standard_output, nullptr, /*allow_exceptions=*/false);
  std::size_t start = standard_output.rfind("\n{");
  start = standard_output.rfind('{', 0) == 0 ? 0 : start;
  if (start == std::string::npos) {
    parsed.lenient = json(json::value_t::discarded);
  } else {
    parsed.lenient =
        json::parse(standard_output.substr(start), nullptr, /*allow_exceptions=*/false);
  }
  return parsed;
}

std::vector<json> fetch_all_events(HttpClient& client, const std::string& token,
                                   std::string& error, std::size_t pages_max) {
  std::vector<json> events;
  std::uint64_t after = 0;
  for (std::size_t page = 0; page < pages_max; ++page) {
    auto response =
        client.get("/v1/events?after=" + std::to_string(after) + "&limit=1000", token);
    if (response.status != 200 || !response.body_json.contains("events")) {
      error = "GET /v1/events?after=" + std::to_string(after) + " failed: " + response.describe();
      return events;
    }
    const json& batch = response.body_json["events"];
    for (const auto& event : batch) events.push_back(event);
    if (batch.size() < 1000) return events;
    after = batch.back().at("seq").get<std::uint64_t>();
  }
  error = "more than " + std::to_string(pages_max) + " pages of events";
  return events;
}

}  // namespace bulwark::e2e
