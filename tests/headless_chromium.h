// Headless Chromium for tests of HTML pages: load a page, read back its DOM and what the browser
// logged, find the problems the page caused (console messages, loads of other files), and read
// the result cells of an fct report (framework/report/html_report.h) by their data-* keys.
#pragma once

#include <filesystem>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "tests/test_support.h"

namespace fct::testing {

// "" when no Chromium is installed.
inline std::string find_chromium() {
  for (const char* path : {"/usr/bin/chromium", "/usr/bin/chromium-browser",
                           "/usr/bin/google-chrome", "/usr/bin/google-chrome-stable"})
    if (std::filesystem::exists(path)) return path;
  return "";
}

inline std::string shell_quoted(const std::string& text) {
  std::string out = "'";
  for (const char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

struct BrowserRun {
  int exit_code = -1;
  bool timed_out = false;
  std::string dom, log;
};

// Loads `page` (a file) in headless Chromium with `extra_flags`, the DOM and the log apart (a
// shell redirects them: run_command() would interleave them). Chromium as root needs
// --no-sandbox; a profile in `scratch` keeps the user's untouched; --v=1 logs every file the page
// loads (FileURLLoader::Start) besides its console messages (CONSOLE).
inline BrowserRun load_in_chromium(const std::string& page, const std::string& scratch,
                                   const std::vector<std::string>& extra_flags = {}) {
  const std::string dom = scratch + "/dom.html", log = scratch + "/chromium.log";
  std::string command = "exec " + shell_quoted(find_chromium()) +
                        " --headless --no-sandbox --disable-gpu --no-first-run --disable-sync"
                        " --disable-background-networking --disable-component-update"
                        " --user-data-dir=" +
                        shell_quoted(scratch + "/chromium-profile") +
                        " --enable-logging=stderr --v=1";
  for (const auto& flag : extra_flags) command += " " + shell_quoted(flag);
  command += " --dump-dom " + shell_quoted("file://" + std::filesystem::absolute(page).string()) +
             " >" + shell_quoted(dom) + " 2>" + shell_quoted(log);
  const auto result = run_command({"/bin/sh", "-c", command}, 120);
  BrowserRun run;
  run.exit_code = result.exit_code;
  run.timed_out = result.timed_out;
  if (std::filesystem::exists(dom)) run.dom = read_text_file(dom);
  if (std::filesystem::exists(log)) run.log = read_text_file(log);
  return run;
}

// What the browser logged against `page`: console messages, loads of any file but the page, and
// failed loads.
inline std::vector<std::string> page_problems(const std::string& log, const std::string& page) {
  const std::string url = "file://" + std::filesystem::absolute(page).string();
  const std::string load_marker = "FileURLLoader::Start: ";
  std::vector<std::string> problems;
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    const auto load = line.find(load_marker);
    if (line.find(":CONSOLE") != std::string::npos ||
        line.find("Failed to load") != std::string::npos ||
        (load != std::string::npos && line.substr(load + load_marker.size()) != url))
      problems.push_back(line);
  }
  return problems;
}

inline std::string html_unescape(std::string text) {
  for (const auto& [entity, c] : std::vector<std::pair<std::string, std::string>>{
           {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"}, {"&amp;", "&"}})
    for (auto at = text.find(entity); at != std::string::npos; at = text.find(entity, at + 1))
      text.replace(at, entity.size(), c);
  return text;
}

// (case, metric) -> the text of its cell, from a report's DOM as the browser serialised it.
inline std::map<std::pair<std::string, std::string>, std::string> result_cells(
    const std::string& dom) {
  static const std::regex td(
      R"re(<td[^>]*\sdata-case="([^"]*)"[^>]*\sdata-metric="([^"]*)"[^>]*>([^<]*)</td>)re");
  std::map<std::pair<std::string, std::string>, std::string> cells;
  for (auto it = std::sregex_iterator(dom.begin(), dom.end(), td); it != std::sregex_iterator();
       ++it)
    cells[{html_unescape((*it)[1]), html_unescape((*it)[2])}] = html_unescape((*it)[3]);
  return cells;
}

}  // namespace fct::testing
