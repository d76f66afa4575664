// `bulwark inspect`: a read-only view of tenants, snapshots and journal statistics. It opens the
// journal without its lock, so it runs beside a live node and reads what was durable when it
// started.
#include <fstream>
#include <iomanip>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/integration_options.hpp"
#include "persistence/journal.hpp"

namespace bulwark::cli {
namespace {

using nlohmann::json;

struct InspectArgs {
  std::string data_dir;
  std::string view;
  std::string tenant;
  std::string format = "table";
};

json optional_json(const std::optional<std::uint64_t>& value) {
  return value ? json(*value) : json(nullptr);
}

// Time of event `seq`, for the age of a snapshot or of a tenant's last write.
json event_time(const persistence::Journal& journal, const std::string& tenant,
                std::uint64_t seq) {
  if (seq == 0) return nullptr;
  auto page = journal.read_events(tenant, seq - 1, 1);
  if (!page.ok() || page.value().empty()) return nullptr;
  return domain::format_rfc3339(page.value().front().event.ts);
}

std::optional<json> tenant_json(const persistence::Journal& journal, const std::string& tenant) {
  auto stats = journal.tenant_stats(tenant);
  if (!stats.ok()) {
    std::cerr << "cannot read tenant " << tenant << ": " << stats.error() << "\n";
    return std::nullopt;
  }
  const auto& s = stats.value();
  return json{{"tenant", s.tenant},
              {"first_seq", s.first_seq},
              {"last_seq", s.last_seq},
              {"event_count", s.event_count},
              {"approximate_bytes", s.approximate_bytes},
              {"snapshot_seq", optional_json(s.snapshot_seq)},
              {"first_retained_seq", s.first_retained_seq},
              {"writer_epoch", optional_json(s.writer_epoch)},
              {"last_event_at", event_time(journal, tenant, s.last_seq)},
              {"snapshot_event_at",
               s.snapshot_seq ? event_time(journal, tenant, *s.snapshot_seq) : json(nullptr)}};
}

void print_tenant_rows(const json& tenants) {
  std::cout << std::left << std::setw(24) << "tenant" << std::right << std::setw(10) << "last_seq"
            << std::setw(10) << "events" << std::setw(14) << "snapshot_seq" << std::setw(12)
            << "bytes" << "  last_event_at\n";
  for (const auto& t : tenants) {
    std::cout << std::left << std::setw(24) << t["tenant"].get<std::string>() << std::right
              << std::setw(10) << t["last_seq"].dump() << std::setw(10) << t["event_count"].dump()
              << std::setw(14) << t["snapshot_seq"].dump() << std::setw(12)
              << t["approximate_bytes"].dump() << "  "
              << (t["last_event_at"].is_null() ? "-" : t["last_event_at"].get<std::string>())
              << "\n";
  }
}

int inspect_tenants(const persistence::Journal& journal, const InspectArgs& args) {
  auto listed = journal.list_tenants();
  if (!listed.ok()) {
    std::cerr << "cannot list tenants: " << listed.error() << "\n";
    return 2;
  }
  json tenants = json::array();
  for (const auto& tenant : listed.value()) {
    auto item = tenant_json(journal, tenant);
    if (!item) return 2;
    tenants.push_back(std::move(*item));
  }
  if (args.format == "json") {
    std::cout << json{{"tenants", tenants}}.dump(2) << "\n";
  } else {
    print_tenant_rows(tenants);
  }
  return 0;
}

int inspect_tenant(const persistence::Journal& journal, const InspectArgs& args) {
  auto item = tenant_json(journal, args.tenant);
  if (!item) return 2;
  if ((*item)["last_seq"] == 0 && (*item)["snapshot_seq"].is_null()) {
    std::cerr << "tenant " << args.tenant << " not found in the journal\n";
    return 1;
  }
  if (args.format == "json") {
    std::cout << item->dump(2) << "\n";
  } else {
    print_tenant_rows(json::array({*item}));
  }
  return 0;
}

int inspect_snapshot(const persistence::Journal& journal, const InspectArgs& args) {
  auto snapshot = journal.read_snapshot(args.tenant);
  if (!snapshot.ok()) {
    std::cerr << "snapshot of " << args.tenant << " is unreadable: " << snapshot.error() << "\n";
    return 1;
  }
  if (!snapshot.value()) {
    std::cerr << "tenant " << args.tenant << " has no snapshot\n";
    return 1;
  }
  const auto& s = *snapshot.value();
  json out = {{"tenant", args.tenant},
              {"seq", s.seq},
              {"chain_head", persistence::to_hex(s.chain_head)},
              {"event_at", event_time(journal, args.tenant, s.seq)},
              {"state", s.state}};
  if (args.format == "json") {
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << "tenant      " << args.tenant << "\nseq         " << s.seq << "\nchain_head  "
              << out["chain_head"].get<std::string>() << "\nevent_at    "
              << out["event_at"].dump() << "\nstate       " << s.state.dump() << "\n";
  }
  return 0;
}

// The breaker state that the node last wrote under its data directory, or null when it wrote none
// (no market sources configured, or the node never ran).
json read_market_status(const std::string& data_dir) {
  std::ifstream in(data_dir + "/" + market_status_file_name);
  if (!in) return nullptr;
  json status = json::parse(in, nullptr, false);
  if (status.is_discarded() || !status.is_object()) {
    return {{"error", std::string("unreadable ") + market_status_file_name}};
  }
  return status;
}

void print_market_status(const json& status) {
  if (status.is_null()) {
    std::cout << "\nmarket sources    none recorded\n";
    return;
  }
  if (status.contains("error")) {
    std::cout << "\nmarket sources    " << status["error"].get<std::string>() << "\n";
    return;
  }
  std::cout << "\nmarket sources (as the node last wrote them, at unix ms "
            << status.value("updated_unix_ms", std::int64_t{0}) << ")\n"
            << std::left << std::setw(20) << "source" << std::setw(11) << "breaker" << std::right
            << std::setw(10) << "openings" << std::setw(8) << "trials" << std::setw(10)
            << "rejected" << std::setw(10) << "failures" << std::setw(14) << "last_version\n";
  const json sources = status.value("sources", json::object());
  for (const auto& [name, s] : sources.items()) {
    std::cout << std::left << std::setw(20) << name << std::setw(11)
              << s.value("state", std::string("?")) << std::right << std::setw(10)
              << s.value("openings_total", 0) << std::setw(8) << s.value("trials_total", 0)
              << std::setw(10) << s.value("rejected_total", 0) << std::setw(10)
              << s.value("consecutive_failures", 0) << std::setw(13)
              << s.value("last_version", 0) << "\n";
  }
}

int inspect_stats(const persistence::Journal& journal, const InspectArgs& args) {
  auto stats = journal.database_stats();
  if (!stats.ok()) {
    std::cerr << "cannot read database statistics: " << stats.error() << "\n";
    return 2;
  }
  const auto& s = stats.value();
  auto tenants = journal.list_tenants();
  json families = json::array();
  for (const auto& cf : s.column_families) {
    families.push_back({{"name", cf.name},
                        {"estimated_keys", cf.estimated_keys},
                        {"sst_bytes", cf.sst_bytes},
                        {"live_data_bytes", cf.live_data_bytes},
                        {"memtable_bytes", cf.memtable_bytes}});
  }
  json out = {{"path", s.path},
              {"node_incarnation", s.node_incarnation},
              {"tenants", tenants.ok() ? json(tenants.value().size()) : json(nullptr)},
              {"column_families", families},
              {"market_sources", read_market_status(args.data_dir)}};
  if (args.format == "json") {
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::cout << "path              " << s.path << "\nnode_incarnation  " << s.node_incarnation
            << "\ntenants           " << out["tenants"].dump() << "\n\n"
            << std::left << std::setw(12) << "family" << std::right << std::setw(16)
            << "estimated_keys" << std::setw(14) << "sst_bytes" << std::setw(16)
            << "memtable_bytes\n";
  for (const auto& cf : s.column_families) {
    std::cout << std::left << std::setw(12) << cf.name << std::right << std::setw(16)
              << cf.estimated_keys << std::setw(14) << cf.sst_bytes << std::setw(16)
              << cf.memtable_bytes << "\n";
  }
  print_market_status(out["market_sources"]);
  return 0;
}

int run_inspect(const InspectArgs& args) {
  if (args.format != "table" && args.format != "json") {
    std::cerr << "invalid --format '" << args.format << "': use table or json\n";
    return 2;
  }
  auto opened = persistence::Journal::open_read_only(args.data_dir + "/journal");
  if (!opened.ok()) {
    std::cerr << "cannot open journal under " << args.data_dir << ": " << opened.error() << "\n";
    return 2;
  }
  const auto& journal = *opened.value();
  if (args.view == "tenants") return inspect_tenants(journal, args);
  if (args.view == "stats") return inspect_stats(journal, args);
  if (args.tenant.empty()) {
    std::cerr << "missing tenant id: use `inspect " << args.view << " TENANT`\n";
    return 2;
  }
  if (args.view == "tenant") return inspect_tenant(journal, args);
  return inspect_snapshot(journal, args);
}

}  // namespace

Runner add_inspect_command(CLI::App& app) {
  auto args = std::make_shared<InspectArgs>();
  app.add_option("--data", args->data_dir, "Node data directory (its journal is DATA/journal)")
      ->required();
  app.add_option("view", args->view, "What to show: tenants, tenant, snapshot or stats")
      ->required()
      ->check(CLI::IsMember({"tenants", "tenant", "snapshot", "stats"}));
  app.add_option("tenant", args->tenant, "Tenant id, for the tenant and snapshot views");
  app.add_option("--format", args->format, "Output format: table or json")->capture_default_str();
  return [args] { return run_inspect(*args); };
}

}  // namespace bulwark::cli
