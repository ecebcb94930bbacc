#include "cli/check_config_cmd.h"

#include <ostream>

#include "cli/flags.h"
#include "config/config.h"
#include "config/ha_check.h"

namespace promha::cli {
namespace {

constexpr const char* kDescription =
    "Check promha configuration files (or the alerting part of a prometheus.yml).\n"
    "Reports every error at once as file:line:col: key.path: message. With a replica label\n"
    "(ha.replica_label in the config, or --replica-label), also checks that alerts from the two\n"
    "Prometheus replicas, which differ only in that label, become identical after each\n"
    "Alertmanager block's alert relabeling, so that Alertmanager deduplicates them.\n\n"
    "Exit codes: 0 all valid, 1 a file is invalid or fails the HA check, 2 bad flags.";

bool checkFile(const std::string& file, const std::string& replica_flag, bool dump, Streams& io) {
  io.out << "Checking " << file << "\n";
  core::Diagnostics diag(file);
  auto cfg = config::loadFile(file, {}, diag);
  if (!cfg) {
    io.err << diag.str();
    io.out << "  FAILED: " << diag.errors().size()
           << (diag.errors().size() == 1 ? " error" : " errors") << "\n";
    return false;
  }
  const size_t blocks = cfg->alerting.alertmanagers.size();
  io.out << "  SUCCESS: "
         << (cfg->format == config::Format::kPrometheus ? "prometheus.yml (alerting part)"
                                                        : "promha config")
         << ", " << blocks << " alertmanagers " << (blocks == 1 ? "block" : "blocks") << ", "
         << cfg->alerting.alert_relabel_configs.size() << " global alert_relabel_configs\n";
  if (cfg->format == config::Format::kPromha) {
    const config::WatchConfig& w = cfg->watch;
    std::string names;
    for (const auto& p : w.peers)
      names += (names.empty() ? "" : ", ") + (p.name.empty() ? p.url : p.name);
    io.out << "  watch: " << w.peers.size() << (w.peers.size() == 1 ? " peer" : " peers")
           << (names.empty() ? "" : " (" + names + ")") << (w.local ? ", local Prometheus" : "")
           << ", Alertmanager cluster check " << (w.alertmanager_cluster.enabled ? "on" : "off")
           << ", deadman "
           << (w.deadman.alertname.empty() ? "off" : "on (" + w.deadman.alertname + ")") << "\n";
    if (const auto& rws = cfg->remote_write; !rws.empty()) {
      std::string urls;
      for (const auto& rw : rws) {
        urls += (urls.empty() ? "" : ", ") + (rw.name.empty() ? rw.url : rw.name);
      }
      io.out << "  remote_write: " << rws.size() << (rws.size() == 1 ? " endpoint" : " endpoints")
             << " (" << urls << ")\n";
    }
    if (cfg->ha && !cfg->ha->replicas.empty()) {
      std::string names;
      for (const auto& n : cfg->ha->replicas) names += (names.empty() ? "" : ", ") + n;
      io.out << "  ha: remote-write leader election among " << names << " (in this order), "
             << "failover_timeout " << core::formatDuration(cfg->ha->failover_timeout) << "\n";
    }
  }
  bool ok = true;
  std::string replica = replica_flag;
  if (replica.empty() && cfg->ha) replica = cfg->ha->replica_label;
  if (!replica.empty()) {
    const config::HaReport r = config::checkHa(*cfg, replica);
    for (const auto& p : r.problems) {
      const auto show = [](const std::optional<core::Labels>& ls) {
        return ls ? ls->toString() : std::string("dropped");
      };
      io.err << file << ": " << p.where << ": HA check failed: alerts that differ only in \""
             << replica << "\" do not collapse:\n"
             << "  " << p.input_a.toString() << " -> " << show(p.output_a) << "\n"
             << "  " << p.input_b.toString() << " -> " << show(p.output_b) << "\n"
             << "  " << p.explanation << "\n";
      ok = false;
    }
    for (const auto& where : r.inconclusive) {
      io.out << "  HA: " << where
             << ": every sample alert was dropped by the rules, the check proves nothing\n";
    }
    if (ok) {
      io.out << "  HA: alerts differing only in \"" << replica << "\" collapse in "
             << (blocks == 0 ? "the global pipeline" : "every alertmanagers block") << "\n";
    } else {
      io.out << "  FAILED: HA check\n";
    }
  }
  if (dump) io.out << config::toYaml(*cfg);
  return ok;
}

}  // namespace

int checkConfigCommand(const Args& args, Streams& io) {
  std::string replica;
  bool dump = false;
  FlagSet fs("promha check-config", "<file>...", kDescription);
  fs.string("replica-label", &replica,
            "The label that tells the HA replicas apart (default: ha.replica_label).", "NAME");
  fs.boolean("dump", &dump,
             "Print the effective configuration, defaults filled in (secrets hidden).");
  if (auto code = parseOrExit(fs, args, io.out, io.err)) return *code;
  if (fs.positional().empty()) {
    io.err << fs.command() << ": error: no config file given\n";
    return kExitUsage;
  }
  if (fs.isSet("replica-label") && !core::isValidLabelName(replica, core::NameScheme::kUtf8)) {
    io.err << fs.command() << ": error: --replica-label " << core::quote(replica)
           << " is not a valid label name\n";
    return kExitUsage;
  }
  bool ok = true;
  for (const auto& file : fs.positional()) ok = checkFile(file, replica, dump, io) && ok;
  return ok ? kExitOk : kExitFailed;
}

}  // namespace promha::cli
