// `fct report`: one self-contained HTML page per run directory, for people — the results (a
// study's table, a sweep's summary or a grid's matrices), the training curves of every model
// stage, the backfilling curves, the stage graph with each stage's time and origin (built or
// from the cache), the input report (skipped and truncated files) and the provenance. Everything
// is inline (CSS, SVG; the SVG files other writers made as data: images), so the page opens
// offline, mails as one file and prints to PDF. Every number in a results table carries its keys
// as data-* attributes (data-case, data-metric, and data-point or data-old/data-new), the keys of
// results.json, so that a test or a script can find it.
#pragma once

#include <string>

namespace fct::report {

// <run_directory>/report.html
std::string default_report_path(const std::string& run_directory);

// The page. Throws fct::Error naming `run_directory` when it holds no results (results.json,
// sweep summary.json or grid.json) or a results file is unreadable; an optional part that is
// unreadable becomes a warning on the page instead.
std::string html_report(const std::string& run_directory);

// The page, written atomically to `path`.
void write_html_report(const std::string& run_directory, const std::string& path);

// For the end of `fct run`, `sweep` and `grid`, after their results are written: the report at
// its default path, or an error logged naming the path (the results stand without it). Returns
// whether the report was written.
bool write_html_report_after_run(const std::string& run_directory);

}  // namespace fct::report
