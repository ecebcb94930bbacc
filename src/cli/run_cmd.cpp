#include "cli/run_cmd.h"

#include <prometheus/registry.h>

#include <charconv>
#include <csignal>
#include <iostream>

#include "app/app.h"
#include "cli/flags.h"
#include "core/duration.h"
#include "log/logger.h"

namespace promha::cli {

int runCommand(const Args& args, Streams& io) {
  std::string config_file = "promha.yml";
  std::string listen = ":9095";
  std::string log_level = "info";
  std::string log_format = "logfmt";
  std::string max_bytes = "8388608";
  std::string drain = "10s";
  std::string web_config;
  bool enable_lifecycle = false;
  std::string max_connections = "512";
  std::string watch_local_name;
  FlagSet fs("promha run", "[flags]",
             "Run the sidecar: an Alertmanager-compatible endpoint that relabels alerts and "
             "delivers them to every Alertmanager.");
  fs.string("config.file", &config_file, "promha configuration file", "FILE");
  fs.string("web.listen-address", &listen, "address to listen on for the API, UI and /metrics",
            "ADDR");
  fs.string("web.max-request-bytes", &max_bytes, "largest accepted request body (413 above)",
            "BYTES");
  fs.string("web.config.file", &web_config,
            "TLS and basic auth for the listener, in the Prometheus exporter-toolkit format; "
            "re-read when it (or a file it names) changes",
            "FILE");
  fs.boolean("web.enable-lifecycle", &enable_lifecycle,
             "enable POST /-/reload (without it: 403; SIGHUP always reloads)");
  fs.string("web.max-connections", &max_connections,
            "most connections served at once; more wait to be accepted", "N");
  fs.string("log.level", &log_level, "debug, info, warn or error", "LEVEL");
  fs.string("log.format", &log_format, "logfmt or json", "FORMAT");
  fs.string("shutdown.drain-timeout", &drain,
            "on SIGTERM, how long to keep delivering queued alerts", "DURATION");
  fs.string("watch.local-name", &watch_local_name,
            "this replica's name in watch.peers: that entry is watched as the local Prometheus, "
            "so both sidecars can share one config (e.g. the pod name)",
            "NAME");
  if (auto code = parseOrExit(fs, args, io.out, io.err)) return *code;
  auto level = log::Logger::parseLevel(log_level);
  auto format = log::Logger::parseFormat(log_format);
  auto drain_d = core::parseDuration(drain);
  size_t max_request = 0;
  const auto [p, ec] =
      std::from_chars(max_bytes.data(), max_bytes.data() + max_bytes.size(), max_request);
  for (const core::Status& st :
       {level ? core::Status(core::Ok{}) : core::Status(level.error()),
        format ? core::Status(core::Ok{}) : core::Status(format.error()),
        drain_d
            ? core::Status(core::Ok{})
            : core::Status(core::Error{"--shutdown.drain-timeout: " + drain_d.error().message})}) {
    if (!st) {
      io.err << "promha run: " << st.error().message << "\n";
      return kExitUsage;
    }
  }
  if (ec != std::errc() || p != max_bytes.data() + max_bytes.size() || max_request == 0) {
    io.err << "promha run: --web.max-request-bytes must be a positive number of bytes\n";
    return kExitUsage;
  }
  int max_conns = 0;
  const auto [pc, ecc] = std::from_chars(
      max_connections.data(), max_connections.data() + max_connections.size(), max_conns);
  if (ecc != std::errc() || pc != max_connections.data() + max_connections.size() ||
      max_conns <= 0) {
    io.err << "promha run: --web.max-connections must be a positive number\n";
    return kExitUsage;
  }

  // Signals are taken synchronously by this thread; every thread started later inherits the mask.
  sigset_t sigs;
  sigemptyset(&sigs);
  for (int s : {SIGHUP, SIGTERM, SIGINT}) sigaddset(&sigs, s);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  log::Logger logger(io.err, *level, *format);
  prometheus::Registry registry;
  app::Options opts;
  opts.config_file = config_file;
  opts.server.listen_address = listen;
  opts.server.max_request_bytes = max_request;
  opts.server.web_config_file = web_config;
  opts.server.enable_lifecycle = enable_lifecycle;
  opts.server.max_connections = max_conns;
  opts.drain_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(*drain_d);
  opts.watch_local_name = watch_local_name;
  logger.info("Starting promha", {{"config", config_file}, {"listen", listen}});
  app::App app(opts, registry, logger);
  if (auto st = app.start(); !st) {
    logger.error("Failed to start", {{"err", st.error().str()}});
    app.stop();
    return kExitFailed;
  }
  while (true) {
    int sig = 0;
    if (sigwait(&sigs, &sig) != 0) continue;
    if (sig == SIGHUP) {
      logger.info("Received SIGHUP, reloading configuration");
      (void)app.reload();  // failures are logged and exported; the old config stays
      continue;
    }
    logger.info("Received signal, shutting down",
                {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
    break;
  }
  app.stop();
  logger.info("Stopped");
  return kExitOk;
}

}  // namespace promha::cli
