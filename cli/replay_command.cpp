// `bulwark replay`: rebuilds each tenant's state from its journal alone and checks, event by
// event, the gap-free sequence, the hash chain, the domain invariants and the latest snapshot.
#include <iomanip>
#include <iostream>

#include <spdlog/spdlog.h>

#include "cli/commands.hpp"
#include "domain/audit.hpp"
#include "domain/state.hpp"
#include "persistence/journal.hpp"

namespace bulwark::cli {
namespace {

using nlohmann::json;

constexpr std::size_t replay_page_events = 1000;
constexpr std::uint64_t progress_every_events = 100'000;

struct ReplayArgs {
  std::string data_dir;
  std::string tenant;
  std::string until;
  bool verify = false;
  bool timeline = false;
  std::string format = "table";
};

// Replay bound: stop after seq `until_seq`, or after the last event at or before `until_time`.
struct ReplayLimit {
  std::optional<std::uint64_t> until_seq;
  std::optional<domain::TimePoint> until_time;

  bool excludes(const domain::Event& event) const {
    if (until_seq && event.seq > *until_seq) return true;
    if (until_time && event.ts > *until_time) return true;
    return false;
  }
};

struct TenantReplay {
  std::string tenant;
  domain::TenantState state;
  std::uint64_t events = 0;
  std::optional<domain::Violation> violation;
  std::optional<std::uint64_t> snapshot_seq;
  bool snapshot_checked = false;
  std::string chain_head;
  // Set when retention deleted events 1..first_retained_seq - 1 and the replay started from the
  // snapshot that covers them.
  std::uint64_t first_retained_seq = 1;
  std::optional<std::uint64_t> started_from_snapshot;
};

std::optional<ReplayLimit> parse_until(const std::string& text) {
  ReplayLimit limit;
  if (text.empty()) return limit;
  if (text.find_first_not_of("0123456789") == std::string::npos) {
    limit.until_seq = std::stoull(text);
    return limit;
  }
  auto time = domain::parse_rfc3339(text);
  if (!time) return std::nullopt;
  limit.until_time = *time;
  return limit;
}

void print_timeline_row(const domain::Event& event) {
  std::cout << std::setw(8) << event.seq << "  " << domain::format_rfc3339(event.ts) << "  "
            << std::left << std::setw(26) << domain::type_name(domain::type_of(event.data))
            << std::right << "  " << event.principal << "  "
            << domain::event_data_to_json(event.data).dump() << "\n";
}

// Reads the next page of events after `after`, or prints the error and returns nullopt.
std::optional<std::vector<persistence::StoredEvent>> read_page(const persistence::Journal& journal,
                                                               const std::string& tenant,
                                                               std::uint64_t after) {
  auto page = journal.read_events(tenant, after, replay_page_events);
  if (!page.ok()) {
    std::cerr << "replay: reading tenant " << tenant << " failed: " << page.error() << "\n";
    return std::nullopt;
  }
  return std::move(page).value();
}

// Checks that the events still stored up to the snapshot's seq link by prev_hash and that the
// last one is the snapshot's chain head. The first of them is the anchor, because its predecessor
// was deleted. Returns false on an I/O failure.
bool check_chain_to_snapshot(const persistence::Journal& journal,
                             const persistence::Snapshot& snapshot, TenantReplay& replay) {
  std::optional<std::string> prev_hash;
  std::uint64_t after = replay.first_retained_seq - 1;
  while (after < snapshot.seq) {
    auto page = read_page(journal, replay.tenant, after);
    if (!page) return false;
    if (page->empty()) break;
    for (const auto& stored : *page) {
      if (stored.event.seq > snapshot.seq) return true;
      if (stored.event.seq != after + 1 || (prev_hash && stored.prev_hash != *prev_hash)) {
        replay.violation = domain::Violation{
            stored.event.seq, "hash_chain",
            "tenant " + replay.tenant + ": retained event seq " +
                std::to_string(stored.event.seq) + " does not continue seq " +
                std::to_string(after) + " before the snapshot at seq " +
                std::to_string(snapshot.seq)};
        return true;
      }
      if (stored.event.seq == snapshot.seq && stored.hash != snapshot.chain_head) {
        replay.violation = domain::Violation{
            stored.event.seq, "snapshot_matches_replay",
            "snapshot chain head differs from the hash of its event"};
        return true;
      }
      prev_hash = stored.hash;
      after = stored.event.seq;
    }
  }
  return true;
}

// When retention deleted the start of the stream, moves the replay to the snapshot that covers the
// deleted events, or records a violation naming the gap when no snapshot covers it. Returns false
// on an I/O failure.
bool start_after_retention(const persistence::Journal& journal,
                           const std::optional<persistence::Snapshot>& latest,
                           TenantReplay& replay, std::string& prev_hash, std::uint64_t& after) {
  auto first_retained = journal.first_retained_seq(replay.tenant);
  if (!first_retained.ok()) {
    std::cerr << "replay: reading tenant " << replay.tenant << " failed: "
              << first_retained.error() << "\n";
    return false;
  }
  replay.first_retained_seq = first_retained.value();
  if (replay.first_retained_seq <= 1 || replay.violation) return true;

  std::uint64_t deleted_through = replay.first_retained_seq - 1;
  if (!latest || latest->seq < deleted_through) {
    replay.violation = domain::Violation{
        deleted_through, "retained_history",
        "tenant " + replay.tenant + ": events 1.." + std::to_string(deleted_through) +
            " were deleted by retention and no snapshot covers them (latest snapshot: " +
            (latest ? "seq " + std::to_string(latest->seq) : std::string("none")) + ")"};
    return true;
  }
  try {
    replay.state = domain::state_from_json(latest->state);
  } catch (const std::exception& e) {
    replay.violation = domain::Violation{latest->seq, "snapshot_valid", e.what()};
    return true;
  }
  // Events between the first retained seq and the snapshot cannot be folded, because the state
  // before them is gone, but their hash chain must still lead to the snapshot's chain head.
  if (!check_chain_to_snapshot(journal, *latest, replay)) return false;
  if (replay.violation) return true;
  prev_hash = latest->chain_head;
  replay.chain_head = latest->chain_head;
  after = latest->seq;
  replay.started_from_snapshot = latest->seq;
  replay.snapshot_checked = true;
  return true;
}

// Replays one tenant; returns false on an I/O failure that stopped the replay.
bool replay_tenant(const persistence::Journal& journal, const ReplayArgs& args,
                   const ReplayLimit& limit, TenantReplay& replay, std::uint64_t& total) {
  auto snapshot = journal.read_snapshot(replay.tenant);
  std::optional<persistence::Snapshot> latest;
  if (snapshot.ok()) {
    latest = snapshot.value();
  } else {
    replay.violation = domain::Violation{0, "snapshot_valid", snapshot.error()};
  }
  if (latest) replay.snapshot_seq = latest->seq;

  std::string prev_hash = persistence::genesis_hash();
  std::uint64_t after = 0;
  if (!start_after_retention(journal, latest, replay, prev_hash, after)) return false;
  if (replay.started_from_snapshot && limit.until_seq && *limit.until_seq < after) {
    // The state at an earlier seq was deleted with the events, so it cannot be rebuilt.
    replay.violation = domain::Violation{
        *limit.until_seq, "retained_history",
        "tenant " + replay.tenant + ": --until " + std::to_string(*limit.until_seq) +
            " is before the snapshot at seq " + std::to_string(after) +
            " that replaces the events deleted by retention"};
    return true;
  }
  while (!replay.violation) {
    auto page = read_page(journal, replay.tenant, after);
    if (!page) return false;
    if (page->empty()) break;
    for (const auto& stored : *page) {
      const domain::Event& event = stored.event;
      if (limit.excludes(event)) return true;
      if (event.seq != replay.state.last_seq + 1) {
        replay.violation = domain::Violation{
            event.seq, "gap_free_sequence",
            "tenant " + replay.tenant + ": events " + std::to_string(replay.state.last_seq + 1) +
                ".." + std::to_string(event.seq - 1) +
                " are missing from the journal and retention did not delete them"};
        return true;
      }
      if (stored.prev_hash != prev_hash) {
        replay.violation = domain::Violation{
            event.seq, "hash_chain",
            "prev_hash " + persistence::to_hex(stored.prev_hash) + " does not match the hash " +
                persistence::to_hex(prev_hash) + " of the event before it"};
        return true;
      }
      if (auto violation = domain::check_event(replay.state, event)) {
        replay.violation = violation;
        return true;
      }
      try {
        domain::apply(replay.state, event);
      } catch (const std::exception& e) {
        replay.violation = domain::Violation{event.seq, "apply", e.what()};
        return true;
      }
      prev_hash = stored.hash;
      replay.chain_head = stored.hash;
      replay.events++;
      if (args.timeline) print_timeline_row(event);
      if (++total % progress_every_events == 0) {
        std::cerr << "replay: " << total << " events checked\n";
      }

      if (latest && latest->seq == event.seq) {
        replay.snapshot_checked = true;
        if (latest->chain_head != stored.hash) {
          replay.violation =
              domain::Violation{event.seq, "snapshot_matches_replay",
                                "snapshot chain head differs from the hash of its event"};
          return true;
        }
        if (domain::state_to_json(replay.state) != latest->state) {
          replay.violation = domain::Violation{
              event.seq, "snapshot_matches_replay",
              "state rebuilt from the journal differs from the snapshot at seq " +
                  std::to_string(event.seq)};
          return true;
        }
      }
      after = event.seq;
    }
  }
  return true;
}

json replay_json(const TenantReplay& replay) {
  json out = {{"tenant", replay.tenant},
              {"events", replay.events},
              {"last_seq", replay.state.last_seq},
              {"snapshot_seq", replay.snapshot_seq ? json(*replay.snapshot_seq) : json(nullptr)},
              {"snapshot_checked", replay.snapshot_checked},
              {"chain_head", persistence::to_hex(replay.chain_head)},
              {"first_retained_seq", replay.first_retained_seq},
              {"started_from_snapshot_seq", replay.started_from_snapshot
                                                ? json(*replay.started_from_snapshot)
                                                : json(nullptr)},
              {"state", domain::state_to_json(replay.state)}};
  if (replay.violation) {
    out["violation"] = {{"seq", replay.violation->seq},
                        {"invariant", replay.violation->invariant},
                        {"message", replay.violation->message}};
  }
  return out;
}

void print_table(const std::vector<TenantReplay>& replays) {
  std::cout << std::left << std::setw(24) << "tenant" << std::right << std::setw(10) << "events"
            << std::setw(10) << "last_seq" << std::setw(14) << "snapshot_seq"
            << "  verdict\n";
  for (const auto& replay : replays) {
    std::cout << std::left << std::setw(24) << replay.tenant << std::right << std::setw(10)
              << replay.events << std::setw(10) << replay.state.last_seq << std::setw(14)
              << (replay.snapshot_seq ? std::to_string(*replay.snapshot_seq) : "-") << "  ";
    if (replay.violation) {
      std::cout << "VIOLATION at seq " << replay.violation->seq << " ("
                << replay.violation->invariant << "): " << replay.violation->message << "\n";
    } else if (replay.started_from_snapshot) {
      std::cout << "ok, events 1.." << replay.first_retained_seq - 1
                << " deleted by retention are covered by the snapshot at seq "
                << *replay.started_from_snapshot << ", verified from it\n";
    } else {
      std::cout << "ok" << (replay.snapshot_checked ? ", matches snapshot" : "") << "\n";
    }
  }
}

int run_replay(const ReplayArgs& args) {
  auto limit = parse_until(args.until);
  if (!limit) {
    std::cerr << "invalid --until '" << args.until
              << "': use a sequence number or an RFC 3339 time\n";
    return 2;
  }
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

  std::vector<std::string> tenants;
  if (!args.tenant.empty()) {
    tenants.push_back(args.tenant);
  } else {
    auto listed = journal.list_tenants();
    if (!listed.ok()) {
      std::cerr << "cannot list tenants: " << listed.error() << "\n";
      return 2;
    }
    tenants = listed.value();
  }

  std::vector<TenantReplay> replays;
  std::uint64_t total = 0;
  bool violated = false;
  for (const auto& tenant : tenants) {
    TenantReplay replay;
    replay.tenant = tenant;
    replay.chain_head = persistence::genesis_hash();
    if (!replay_tenant(journal, args, *limit, replay, total)) return 2;
    violated = violated || replay.violation.has_value();
    replays.push_back(std::move(replay));
  }

  if (args.format == "json") {
    json out = {{"tenants", json::array()}, {"events", total}, {"ok", !violated}};
    for (const auto& replay : replays) out["tenants"].push_back(replay_json(replay));
    std::cout << out.dump(2) << "\n";
  } else {
    print_table(replays);
    std::cout << "replay: " << replays.size() << " tenants, " << total << " events, "
              << (violated ? "INVARIANT VIOLATED" : "every invariant holds") << "\n";
  }
  return violated ? 1 : 0;
}

}  // namespace

Runner add_replay_command(CLI::App& app) {
  auto args = std::make_shared<ReplayArgs>();
  app.add_option("--data", args->data_dir, "Node data directory (its journal is DATA/journal)")
      ->required();
  app.add_option("--tenant", args->tenant, "Replay only this tenant");
  app.add_option("--until", args->until, "Stop after this sequence number or RFC 3339 time");
  app.add_flag("--verify", args->verify,
               "Print only the verdict per tenant (invariants are checked in every mode)");
  app.add_flag("--timeline", args->timeline, "Print every event as it is replayed");
  app.add_option("--format", args->format, "Output format: table or json")->capture_default_str();
  app.footer("Exit status: 0 when every invariant holds, 1 on a violation, 2 on a usage or I/O "
             "error.");
  return [args] {
    if (!args->tenant.empty() && !args->verify) args->timeline = args->format == "table";
    return run_replay(*args);
  };
}

}  // namespace bulwark::cli
