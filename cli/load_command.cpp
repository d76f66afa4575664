// `bulwark load`: drives a workload against a node over HTTP and reports outcomes, throughput and
// latency. Exit codes: 0 when every outcome was expected, 1 when any was not (a 5xx, a transport
// error or a code the scenario does not expect), 2 for invalid options, 3 when the target is
// unreachable or not ready.
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <random>
#include <thread>

#include "cli/commands.hpp"
#include "cli/durations.hpp"
#include "cli/load_scenarios.hpp"
#include "gateway/token.hpp"

namespace bulwark::cli {
namespace {

constexpr std::size_t tenants_max = 10'000;
constexpr std::size_t concurrency_max = 256;
constexpr std::size_t days_max = 100'000;
constexpr std::chrono::seconds progress_interval{5};

struct LoadArgs {
  std::string target;
  std::string secret_file;
  std::string scenario;
  std::size_t tenants = 20;
  std::size_t concurrency = 8;
  std::string duration;
  std::string series;
  std::string from = "2020-01-01";
  std::size_t days = 250;
  std::string run_id;
  std::string format = "table";
};

// The shared data folder: BULWARK_DATA_DIR, or ../shared/data beside the repository, which is the
// parent of build/ where the executable lives.
std::string default_series_path() {
  if (const char* dir = std::getenv("BULWARK_DATA_DIR"); dir != nullptr && *dir != '\0') {
    return std::string(dir) + "/econ/wti-daily.csv";
  }
  char executable[4096];
  ssize_t length = readlink("/proc/self/exe", executable, sizeof executable - 1);
  std::string dir = ".";
  if (length > 0) {
    std::string path(executable, static_cast<std::size_t>(length));
    dir = path.substr(0, path.find_last_of('/'));
  }
  return dir + "/../../shared/data/econ/wti-daily.csv";
}

// A short id that differs between runs, so a scenario can run again on the same data directory
// without colliding with the ids of an earlier run.
std::string make_run_id(const std::string& scenario) {
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
  std::random_device random;
  char text[64];
  std::snprintf(text, sizeof text, "%s-%llx-%04x", scenario.c_str(),
                static_cast<unsigned long long>(seconds), static_cast<unsigned>(random() & 0xffff));
  return text;
}

bool is_valid_run_id(const std::string& id) {
  return !id.empty() && id.size() <= 40 &&
         id.find_first_not_of(
             "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") ==
             std::string::npos;
}

// Accepts plain seconds ("30") or the token --ttl forms ("30s", "15m", "1h").
std::optional<std::chrono::seconds> parse_duration_option(const std::string& text) {
  if (text.empty()) return std::chrono::seconds(0);
  if (text.find_first_not_of("0123456789") == std::string::npos && text.size() < 10) {
    return std::chrono::seconds(std::stoll(text));
  }
  return parse_duration(text);
}

// Writes a progress line to stderr every progress_interval until stopped.
class ProgressPrinter {
 public:
  explicit ProgressPrinter(const Progress& progress)
      : progress_(progress),
        started_(std::chrono::steady_clock::now()),
        thread_([this] { run(); }) {}

  ~ProgressPrinter() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }

 private:
  void run() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!wake_.wait_for(lock, progress_interval, [this] { return stopping_; })) {
      print_progress(std::cerr, progress_, std::chrono::steady_clock::now() - started_);
    }
  }

  const Progress& progress_;
  std::chrono::steady_clock::time_point started_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

int run_load(const LoadArgs& args) {
  if (args.tenants < 1 || args.tenants > tenants_max) {
    std::cerr << "invalid --tenants " << args.tenants << ": use 1 to " << tenants_max << "\n";
    return 2;
  }
  if (args.concurrency < 1 || args.concurrency > concurrency_max) {
    std::cerr << "invalid --concurrency " << args.concurrency << ": use 1 to " << concurrency_max
              << "\n";
    return 2;
  }
  if (args.days < 1 || args.days > days_max) {
    std::cerr << "invalid --days " << args.days << ": use 1 to " << days_max << "\n";
    return 2;
  }
  if (args.format != "table" && args.format != "json") {
    std::cerr << "invalid --format '" << args.format << "': use table or json\n";
    return 2;
  }
  auto duration = parse_duration_option(args.duration);
  if (!duration) {
    std::cerr << "invalid --duration '" << args.duration << "': use seconds, e.g. 30 or 2m\n";
    return 2;
  }

  LoadOptions options;
  std::string error;
  auto target = parse_target(args.target, error);
  if (!target) {
    std::cerr << error << "\n";
    return 2;
  }
  options.target = *target;
  options.target_url = args.target;
  try {
    options.secret_key = gateway::read_secret_file(args.secret_file);
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 2;
  }
  options.scenario = args.scenario;
  options.tenants = args.tenants;
  options.concurrency = args.concurrency;
  options.duration = *duration;
  options.series_file = args.series.empty() ? default_series_path() : args.series;
  options.from = args.from;
  options.days = args.days;

  bool builtin = args.scenario == "demo" || args.scenario == "reserve";
  nlohmann::json file_spec;
  if (!builtin) {
    try {
      file_spec = read_scenario_file(args.scenario);
    } catch (const std::exception& e) {
      std::cerr << e.what() << "\n";
      return 2;
    }
  }
  options.run_id = args.run_id;
  if (options.run_id.empty()) options.run_id = make_run_id(builtin ? args.scenario : "file");
  if (!is_valid_run_id(options.run_id)) {
    std::cerr << "invalid --run-id '" << options.run_id
              << "': use 1 to 40 characters of [A-Za-z0-9_.-]\n";
    return 2;
  }

  if (std::string reason = check_ready(options); !reason.empty()) {
    std::cerr << "target " << args.target << " is unreachable or not ready: " << reason << "\n";
    return 3;
  }

  Progress progress;
  Recorder recorder(progress);
  LoadSummary summary;
  summary.scenario = args.scenario;
  summary.run_id = options.run_id;
  summary.target = args.target;
  summary.tenants = options.tenants;
  auto started = std::chrono::steady_clock::now();
  try {
    ProgressPrinter printer(progress);
    if (args.scenario == "demo") {
      run_demo_scenario(options, progress, recorder, summary);
    } else if (args.scenario == "reserve") {
      run_reserve_scenario(options, progress, recorder, summary);
    } else {
      run_file_scenario(options, file_spec, progress, recorder, summary);
    }
  } catch (const std::exception& e) {
    std::cerr << "load scenario " << args.scenario << " failed: " << e.what() << "\n";
    return 2;
  }
  if (summary.elapsed.count() == 0) summary.elapsed = std::chrono::steady_clock::now() - started;

  if (args.format == "json") {
    print_summary_json(std::cout, summary, recorder);
  } else {
    print_summary_table(std::cout, summary, recorder);
  }
  return recorder.unexpected_total() == 0 ? 0 : 1;
}

}  // namespace

Runner add_load_command(CLI::App& app) {
  auto args = std::make_shared<LoadArgs>();
  app.add_option("--target", args->target, "Node base URL, e.g. http://127.0.0.1:8080")->required();
  app.add_option("--secret-file", args->secret_file, "File with the node's HMAC secret")
      ->required();
  app.add_option("--scenario", args->scenario,
                 "demo (real-data procurement), reserve (throughput) or a JSON scenario file")
      ->required();
  app.add_option("--tenants", args->tenants, "Number of tenants")->capture_default_str();
  app.add_option("--concurrency", args->concurrency,
                 "Connections, one worker thread each (demo uses at most one per tenant)")
      ->capture_default_str();
  app.add_option("--duration", args->duration,
                 "Time limit in seconds (or 30s, 2m); default 600 for demo, 10 for reserve, 60 "
                 "for a file");
  app.add_option("--series", args->series,
                 "Daily Date,Price CSV for demo; default econ/wti-daily.csv in the shared data "
                 "folder (BULWARK_DATA_DIR)");
  app.add_option("--from", args->from, "First series date the demo trades on (YYYY-MM-DD)")
      ->capture_default_str();
  app.add_option("--days", args->days, "Number of series rows (market days) the demo reads")
      ->capture_default_str();
  app.add_option("--run-id", args->run_id,
                 "Prefix of every reservation and action id; default: scenario, time and a "
                 "random suffix");
  app.add_option("--format", args->format, "Summary format: table or json")->capture_default_str();
  return [args] { return run_load(*args); };
}

}  // namespace bulwark::cli
