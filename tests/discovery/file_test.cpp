// file_sd: FileDiscoverer on files written to a temp dir.
#include "discovery/file.h"

#include <doctest/doctest.h>

#include <filesystem>

#include "helpers.h"

namespace discovery = promha::discovery;
using discovery::FileDiscoverer;
using discovery::testing::TempDir;
using discovery::testing::writeFile;

namespace {

std::vector<std::string> addresses(const std::vector<discovery::TargetGroup>& groups) {
  std::vector<std::string> out;
  for (const auto& g : groups) {
    for (const auto& t : g.targets) out.emplace_back(t.get("__address__"));
  }
  return out;
}

}  // namespace

TEST_CASE("FileDiscoverer: globs, sources and __meta_filepath") {
  TempDir dir;
  writeFile(dir.file("b.yml"), "- targets: [am2:9093]\n");
  writeFile(dir.file("a.json"), R"([{"targets": ["am1:9093"]}, {"targets": ["am3:9093"]}])");
  writeFile(dir.file("ignored.txt"), "not matched by the globs");
  FileDiscoverer d({.files = {dir.file("*.json"), dir.file("*.yml"), dir.file("missing.yml")}});
  CHECK(d.changed());  // never refreshed
  const auto groups = d.refresh();
  CHECK(addresses(groups) == std::vector<std::string>{"am1:9093", "am3:9093", "am2:9093"});
  REQUIRE(groups.size() == 3);
  CHECK(groups[0].source == dir.file("a.json") + ":0");
  CHECK(groups[1].source == dir.file("a.json") + ":1");
  CHECK(groups[2].labels.get("__meta_filepath") == dir.file("b.yml"));
  CHECK(d.stats().last_error.empty());
  CHECK(d.stats().refreshes == 1);
  CHECK_FALSE(d.changed());
}

TEST_CASE("FileDiscoverer: changes are seen, broken files keep their targets") {
  TempDir dir;
  const std::string f1 = dir.file("am.yml");
  const std::string f2 = dir.file("other.yml");
  writeFile(f1, "- targets: [am1:9093]\n");
  writeFile(f2, "- targets: [am9:9093]\n");
  FileDiscoverer d({.files = {dir.file("*.yml")}});
  CHECK(addresses(d.refresh()) == std::vector<std::string>{"am1:9093", "am9:9093"});

  SUBCASE("a rewritten file (new inode) is a change") {
    writeFile(f1, "- targets: [am1:9093, am2:9093]\n");
    CHECK(d.changed());
    CHECK(addresses(d.refresh()) == std::vector<std::string>{"am1:9093", "am2:9093", "am9:9093"});
    CHECK_FALSE(d.changed());
  }
  SUBCASE("an in-place edit that changes the size is a change") {
    std::ofstream(f1, std::ios::trunc) << "- targets: [am1:9093, am5:9093]\n";
    CHECK(d.changed());
    CHECK(addresses(d.refresh()) == std::vector<std::string>{"am1:9093", "am5:9093", "am9:9093"});
  }
  SUBCASE("a new matching file is a change; a removed one loses its targets") {
    writeFile(dir.file("new.yml"), "- targets: [am7:9093]\n");
    CHECK(d.changed());
    CHECK(addresses(d.refresh()) == std::vector<std::string>{"am1:9093", "am7:9093", "am9:9093"});
    std::filesystem::remove(f2);
    CHECK(d.changed());
    CHECK(addresses(d.refresh()) == std::vector<std::string>{"am1:9093", "am7:9093"});
  }
  SUBCASE("a broken file keeps its previous targets and reports file:line:col") {
    writeFile(f1, "- targets: [am1:9093]\n  oops: 1\n");
    CHECK(d.changed());
    const auto groups = d.refresh();
    CHECK(addresses(groups) == std::vector<std::string>{"am1:9093", "am9:9093"});
    const auto stats = d.stats();
    CHECK(stats.read_errors == 1);
    CHECK(stats.last_error == f1 + ":2:3: [0].oops: unknown key \"oops\"");
    CHECK_FALSE(d.changed());  // the broken version was seen: no re-read every poll
    // Fixed again: the new content replaces the kept one and the error clears.
    writeFile(f1, "- targets: [am4:9093]\n");
    CHECK(addresses(d.refresh()) == std::vector<std::string>{"am4:9093", "am9:9093"});
    CHECK(d.stats().last_error.empty());
    CHECK(d.stats().read_errors == 1);
  }
  SUBCASE("a file broken from the start contributes nothing") {
    writeFile(dir.file("bad.yml"), "- targets: [unterminated\n");
    const auto groups = d.refresh();
    CHECK(addresses(groups) == std::vector<std::string>{"am1:9093", "am9:9093"});
    CHECK(d.stats().last_error.find(dir.file("bad.yml") + ":2:1: ") == 0);
  }
}
