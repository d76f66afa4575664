// `bulwark serve-series`: a small local market-data API and alert receiver for demos and manual
// tests. It serves the CSV series of a folder in the FRED-like shape the node's market feed reads,
// through a window whose end advances over time, so a polling node keeps seeing new observations.
//
//   GET  /series/NAME  {"observations": [{"date": "2020-04-20", "value": "-36.98"}, ...]}: the
//                      rows of NAME.csv up to the window end, at most --window-rows of them
//   POST /alerts       accepts an outbox delivery; counts unique Idempotency-Key values
//   GET  /alerts       {"received": N, "unique": M}
//
// NAME is the file name without ".csv" ("wti-daily"). Files whose header has no second column or
// a "Country" column are skipped. It binds 127.0.0.1 only and stops on SIGINT or SIGTERM.
#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "cli/commands.hpp"
#include "cli/integration_options.hpp"

namespace bulwark::cli {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using nlohmann::json;

struct ServeArgs {
  std::string data_dir;
  std::string listen = "127.0.0.1:0";
  std::string port_file;
  std::string start_date = "2020-03-02";
  std::size_t step_rows = 1;
  std::string step_every = "1s";
  std::size_t window_rows = 200;
  std::size_t fail_first = 0;
};

struct Row {
  std::string date;
  std::string value;
};

std::map<std::string, std::vector<Row>> load_folder(const std::string& folder) {
  std::map<std::string, std::vector<Row>> series;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    if (entry.path().extension() != ".csv") continue;
    std::ifstream in(entry.path());
    std::string header;
    std::getline(in, header);
    if (header.find("Country") != std::string::npos || header.find(',') == std::string::npos) {
      continue;
    }
    std::vector<Row> rows;
    std::string line;
    while (std::getline(in, line)) {
      // The files mix CRLF and LF line ends; a value never ends in '\r'.
      if (!line.empty() && line.back() == '\r') line.pop_back();
      std::size_t first = line.find(',');
      if (first == std::string::npos) continue;
      std::size_t second = line.find(',', first + 1);
      rows.push_back({line.substr(0, first), line.substr(first + 1, second - first - 1)});
    }
    series.emplace(entry.path().stem().string(), std::move(rows));
  }
  return series;
}

class SeriesServer {
 public:
  SeriesServer(const ServeArgs& args, std::map<std::string, std::vector<Row>> series,
               std::chrono::milliseconds step_every)
      : args_(args),
        series_(std::move(series)),
        started_(std::chrono::steady_clock::now()),
        step_every_(step_every) {}

  http::response<http::string_body> handle(const http::request<http::string_body>& request) {
    std::string target(request.target());
    if (request.method() == http::verb::post && target == "/alerts") return receive(request);
    if (request.method() == http::verb::get && target == "/alerts") {
      std::lock_guard<std::mutex> lock(mutex_);
      return reply(200, json{{"received", received_}, {"unique", keys_.size()}}.dump());
    }
    if (request.method() == http::verb::get && target.rfind("/series/", 0) == 0) {
      if (requests_++ < args_.fail_first) return reply(503, R"({"error": "unavailable"})");
      return serve_series(target.substr(8));
    }
    return reply(404, R"({"error": "not_found"})");
  }

 private:
  http::response<http::string_body> serve_series(const std::string& name) {
    auto it = series_.find(name);
    if (it == series_.end()) return reply(404, R"({"error": "unknown series"})");
    const auto& rows = it->second;
    std::size_t start = 0;
    while (start < rows.size() && rows[start].date < args_.start_date) ++start;
    auto steps = (std::chrono::steady_clock::now() - started_) / step_every_;
    std::size_t end =
        std::min(rows.size(), start + 1 + static_cast<std::size_t>(steps) * args_.step_rows);
    std::size_t begin = end > args_.window_rows ? end - args_.window_rows : 0;
    json observations = json::array();
    for (std::size_t i = begin; i < end; ++i) {
      observations.push_back({{"date", rows[i].date}, {"value", rows[i].value}});
    }
    return reply(200, json{{"observations", std::move(observations)}}.dump());
  }

  http::response<http::string_body> receive(const http::request<http::string_body>& request) {
    std::string key(request["Idempotency-Key"]);
    if (key.empty()) return reply(400, R"({"error": "Idempotency-Key header missing"})");
    std::lock_guard<std::mutex> lock(mutex_);
    received_++;
    bool first = keys_.insert(key).second;
    spdlog::info("alert_received key={} duplicate={} body={}", key, !first, request.body());
    return reply(200, "{}");
  }

  static http::response<http::string_body> reply(unsigned status, std::string body) {
    http::response<http::string_body> response{static_cast<http::status>(status), 11};
    response.set(http::field::content_type, "application/json");
    response.set(http::field::connection, "close");
    response.body() = std::move(body);
    response.prepare_payload();
    return response;
  }

  const ServeArgs& args_;
  std::map<std::string, std::vector<Row>> series_;
  std::chrono::steady_clock::time_point started_;
  std::chrono::milliseconds step_every_;
  std::atomic<std::size_t> requests_{0};
  std::mutex mutex_;
  std::uint64_t received_ = 0;
  std::set<std::string> keys_;
};

int run_serve_series(const ServeArgs& args) {
  auto step_every = parse_millis(args.step_every);
  if (!step_every) {
    std::cerr << "invalid --step-every '" << args.step_every << "': use 250ms, 1s or 1m\n";
    return 2;
  }
  std::size_t colon = args.listen.rfind(':');
  if (colon == std::string::npos || args.listen.substr(0, colon) != "127.0.0.1") {
    std::cerr << "invalid --listen '" << args.listen << "': use 127.0.0.1:PORT\n";
    return 2;
  }
  std::map<std::string, std::vector<Row>> series;
  try {
    series = load_folder(args.data_dir);
  } catch (const std::exception& e) {
    std::cerr << "cannot read --data-dir " << args.data_dir << ": " << e.what() << "\n";
    return 2;
  }

  asio::io_context io;
  tcp::acceptor acceptor(io);
  try {
    tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"),
                           static_cast<unsigned short>(std::stoi(args.listen.substr(colon + 1))));
    acceptor.open(endpoint.protocol());
    acceptor.set_option(asio::socket_base::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen();
  } catch (const std::exception& e) {
    spdlog::error("serve_series_start_failed listen={} error=\"{}\"", args.listen, e.what());
    return 1;
  }
  auto port = acceptor.local_endpoint().port();
  if (!args.port_file.empty()) std::ofstream(args.port_file) << port << "\n";
  spdlog::info("serve_series_started port={} series={}", port, series.size());

  SeriesServer server(args, std::move(series), *step_every);
  while (true) {
    tcp::socket socket(io);
    boost::system::error_code ec;
    acceptor.accept(socket, ec);
    if (ec) continue;
    boost::beast::flat_buffer buffer;
    http::request<http::string_body> request;
    http::read(socket, buffer, request, ec);
    if (ec) continue;
    auto response = server.handle(request);
    http::write(socket, response, ec);
    socket.shutdown(tcp::socket::shutdown_both, ec);
  }
}

}  // namespace

Runner add_serve_series_command(CLI::App& app) {
  auto args = std::make_shared<ServeArgs>();
  app.add_option("--data-dir", args->data_dir, "Folder with Date,Value CSV series")->required();
  app.add_option("--listen", args->listen, "Listen address 127.0.0.1:PORT; port 0 picks one")
      ->capture_default_str();
  app.add_option("--port-file", args->port_file, "Write the bound port to this file");
  app.add_option("--start-date", args->start_date, "Date of the last row served at start")
      ->capture_default_str();
  app.add_option("--step-rows", args->step_rows, "Rows the window end advances per step")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{100'000}));
  app.add_option("--step-every", args->step_every, "Time per step: 250ms, 1s")
      ->capture_default_str();
  app.add_option("--window-rows", args->window_rows, "Most rows served per response")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{100'000}));
  app.add_option("--fail-first", args->fail_first,
                 "Answer the first N series requests with 503, to show the circuit breaker")
      ->capture_default_str();
  return [args] { return run_serve_series(*args); };
}

}  // namespace bulwark::cli
