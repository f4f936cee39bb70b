#include "framework/submit/job_wait.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <thread>

#include "framework/core/error.h"
#include "framework/submit/shell_quote.h"

namespace fct::submit {

bool wait_for_jobs(const std::vector<SubmittedJob>& jobs, const WaitOptions& options,
                   std::ostream& out) {
  std::vector<std::string> ids;
  for (const auto& s : jobs) ids.push_back(s.id);
  const auto start = std::chrono::steady_clock::now();
  std::size_t last_count = ids.size() + 1;
  while (true) {
    const auto queued = options.queued(ids);
    if (queued.empty()) break;
    if (queued.size() != last_count) {
      spdlog::info("waiting for {} of {} jobs", queued.size(), ids.size());
      last_count = queued.size();
    }
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (options.timeout_s > 0 && elapsed > options.timeout_s)
      throw Error("jobs still queued after " + std::to_string(static_cast<int>(options.timeout_s)) +
                  " s: they go on; follow them with squeue or fct status");
    std::this_thread::sleep_for(options.poll);
  }
  bool all_ok = true;
  for (const auto& s : jobs) {
    const int64_t tasks = std::max<int64_t>(s.job.array_size, 0);
    for (int64_t t = 0; t < std::max<int64_t>(tasks, 1); ++t) {
      const int64_t task = tasks > 0 ? t : -1;
      const std::string tag = plain_name(s.job.name) + (tasks > 0 ? "_" + std::to_string(t) : "");
      std::ifstream in(exit_file(s.job, s.paths, task));
      int status = -1;
      const bool ended = static_cast<bool>(in >> status);
      if (ended && status == 0) continue;
      all_ok = false;
      out << "  " << tag << " (job " << s.id << "): "
          << (ended ? "failed with status " + std::to_string(status)
                    : std::string("did not finish — cancelled, timed out, or a job it waits "
                                  "for failed"))
          << "; log: " << log_file(s.job, s.paths, s.id, task) << "\n";
      const auto first = tasks > 0 ? s.job.keys.begin() + t : s.job.keys.begin();
      const auto last = tasks > 0 ? first + 1 : s.job.keys.end();
      for (auto key = first; key != last; ++key)
        out << "    node " << s.job.kinds[key - s.job.keys.begin()] << " " << *key
            << (ended ? "" : " never ran") << "\n";
    }
  }
  return all_ok;
}

}  // namespace fct::submit
