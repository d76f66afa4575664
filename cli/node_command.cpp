#include <csignal>
#include <fstream>
#include <iostream>
#include <random>

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include "actors/service.hpp"
#include "cli/commands.hpp"
#include "cli/durations.hpp"
#include "cli/integration_options.hpp"
#include "cli/retention_options.hpp"
#include "cli/node_backend.hpp"
#include "domain/platform.hpp"
#include "gateway/server.hpp"
#include "gateway/stripe_signature.hpp"
#include "gateway/token.hpp"

namespace bulwark::cli {
namespace {

struct NodeArgs {
  std::string data_dir;
  std::string listen = "127.0.0.1:8080";
  std::string cluster_file;
  std::string node_id;
  std::string secret_file;
  std::string port_file;
  bool no_sync = false;
  std::uint64_t snapshot_every = 1000;
  std::string passivate_after = "10m";
  std::size_t http_threads = 2;
  std::size_t ws_queue_max = 1024;
  std::string platform_push_interval = "5s";
  std::size_t aggregate_group_min = domain::aggregate_group_min_default;
  std::string stripe_secret_file;
  std::int64_t stripe_tolerance_s = gateway::stripe_tolerance_default.count();
  std::int64_t webhook_attempts_max = domain::webhook_attempts_max_default;
  IntegrationArgs integrations;
  RetentionArgs retention;
};

// Creates `path` with 32 random bytes as hex when it does not exist yet, readable by the owner only.
void ensure_secret_file(const std::string& path) {
  struct stat info {};
  if (stat(path.c_str(), &info) == 0) return;
  std::random_device random;
  std::string secret;
  const char* hex = "0123456789abcdef";
  for (int i = 0; i < 64; ++i) secret.push_back(hex[random() % 16]);
  std::ofstream out(path);
  out << secret << "\n";
  out.close();
  chmod(path.c_str(), 0600);
  spdlog::info("secret_created path={}", path);
}

int run_node(const NodeArgs& args) {
  if (!args.cluster_file.empty() || !args.node_id.empty()) {
    // TODO(cluster): shard routing over CAF remoting; until then a node serves every tenant.
    std::cerr << "--cluster and --node-id are not supported yet: run a single node without them\n";
    return 2;
  }
  auto passivate_after = parse_duration(args.passivate_after);
  if (!passivate_after) {
    std::cerr << "invalid --passivate-after '" << args.passivate_after << "'\n";
    return 2;
  }
  if (mkdir(args.data_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    std::cerr << "cannot create data directory " << args.data_dir << ": " << std::strerror(errno)
              << "\n";
    return 1;
  }
  std::string secret_path = args.secret_file;
  if (secret_path.empty()) {
    secret_path = args.data_dir + "/secret";
    ensure_secret_file(secret_path);
  }
  std::string key;
  try {
    key = gateway::read_secret_file(secret_path);
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 2;
  }
  std::string stripe_secret;
  if (!args.stripe_secret_file.empty()) {
    try {
      stripe_secret = gateway::read_stripe_secret_file(args.stripe_secret_file);
    } catch (const std::exception& e) {
      std::cerr << e.what() << "\n";
      return 2;
    }
  }

  // Signals are taken by sigwait below, so every thread started after this blocks them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  actors::ServiceOptions service_options;
  service_options.data_dir = args.data_dir + "/journal";
  service_options.sync_writes = !args.no_sync;
  service_options.snapshot_every_events = args.snapshot_every;
  service_options.passivate_after = *passivate_after;
  auto platform_push_interval = parse_millis(args.platform_push_interval);
  if (!platform_push_interval) {
    std::cerr << "invalid --platform-push-interval '" << args.platform_push_interval
              << "': use 500ms, 5s or 1m\n";
    return 2;
  }
  service_options.platform_push_interval = *platform_push_interval;
  service_options.aggregate_group_min = args.aggregate_group_min;
  if (auto error = to_retention_options(args.retention, service_options.retention)) {
    std::cerr << *error << "\n";
    return 2;
  }
  if (auto error = to_integration_options(args.integrations, service_options.integrations)) {
    std::cerr << *error << "\n";
    return 2;
  }
  service_options.integrations.market_status_file = args.data_dir + "/" + market_status_file_name;
  std::unique_ptr<actors::TenantService> service;
  try {
    service = std::make_unique<actors::TenantService>(service_options);
  } catch (const std::exception& e) {
    spdlog::error("node_start_failed data={} error=\"{}\"", args.data_dir, e.what());
    return 1;
  }
  service->recover_tenants();

  NodeBackend backend(*service);
  gateway::ServerOptions server_options;
  server_options.listen = args.listen;
  server_options.secret_key = key;
  server_options.threads = args.http_threads;
  server_options.websocket_queue_frames_max = args.ws_queue_max;
  if (!args.stripe_secret_file.empty()) {
    server_options.stripe_webhooks = gateway::StripeWebhookOptions{
        stripe_secret, std::chrono::seconds(args.stripe_tolerance_s), args.webhook_attempts_max};
  }
  gateway::HttpServer server(server_options, backend);
  try {
    server.start();
  } catch (const std::exception& e) {
    spdlog::error("node_start_failed listen={} error=\"{}\"", args.listen, e.what());
    service->shutdown();
    return 1;
  }
  if (!args.port_file.empty()) {
    std::ofstream(args.port_file) << server.port() << "\n";
  }
  spdlog::info("node_started listen={} port={} data={} incarnation={} sync={}", args.listen,
               server.port(), args.data_dir, service->incarnation(), !args.no_sync);

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  spdlog::info("node_stopping signal={}", signal_number);
  server.stop();
  service->shutdown();
  spdlog::info("node_stopped");
  return 0;
}

}  // namespace

Runner add_node_command(CLI::App& app) {
  auto args = std::make_shared<NodeArgs>();
  app.add_option("--data", args->data_dir, "Data directory (journal, secret)")->required();
  app.add_option("--listen", args->listen, "HTTP listen address host:port; port 0 picks a free one")
      ->capture_default_str();
  app.add_option("--cluster", args->cluster_file, "Cluster file (not supported yet)");
  app.add_option("--node-id", args->node_id, "This node's id in the cluster file");
  app.add_option("--secret-file", args->secret_file,
                 "HMAC secret for bearer tokens, at least 32 bytes (default: DATA/secret, "
                 "created if missing)");
  app.add_option("--port-file", args->port_file, "Write the bound HTTP port to this file");
  app.add_flag("--no-sync", args->no_sync,
               "Acknowledge writes before fsync (faster; a crash can lose acknowledged events)");
  app.add_option("--snapshot-every", args->snapshot_every, "Snapshot a tenant every N events")
      ->capture_default_str()
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{100'000'000}));
  app.add_option("--passivate-after", args->passivate_after,
                 "Stop a tenant actor idle this long: 30s, 15m, 1h")
      ->capture_default_str();
  app.add_option("--ws-queue-max", args->ws_queue_max,
                 "Frames a WebSocket session may queue for a slow client before it is closed "
                 "with 1013")
      ->capture_default_str()
      ->check(CLI::Range(1, 1'000'000));
  app.add_option("--platform-push-interval", args->platform_push_interval,
                 "How often platform WebSocket sessions receive the platform statistics")
      ->capture_default_str();
  app.add_option("--aggregate-group-min", args->aggregate_group_min,
                 "Smallest group of tenants a platform aggregate may describe")
      ->capture_default_str()
      ->check(CLI::Range(2, 1'000'000));
  app.add_option("--http-threads", args->http_threads, "HTTP server threads")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  app.add_option("--stripe-secret-file", args->stripe_secret_file,
                 "Stripe webhook signing secret (whsec_...); without it POST /v1/webhooks/stripe "
                 "answers 503");
  app.add_option("--stripe-tolerance", args->stripe_tolerance_s,
                 "Largest difference in seconds between a Stripe signature's timestamp and the "
                 "node clock, either way")
      ->capture_default_str()
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{86'400}));
  app.add_option("--webhook-attempts-max", args->webhook_attempts_max,
                 "Failed processing attempts before an inbound webhook event is dead-lettered")
      ->capture_default_str()
      ->check(CLI::Range(std::int64_t{1}, domain::webhook_attempts_max_limit));
  add_integration_options(app, args->integrations);
  add_retention_options(app, args->retention);
  return [args] { return run_node(*args); };
}

}  // namespace bulwark::cli
