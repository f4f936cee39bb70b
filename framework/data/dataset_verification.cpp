#include "framework/data/dataset_verification.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <mutex>
#include <sstream>
#include <thread>

#include "framework/core/error.h"
#include "framework/data/image_decoder.h"

namespace fct::data {
namespace {

nlohmann::json findings_json(const std::vector<FileFinding>& findings) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& f : findings) list.push_back({{"path", f.path}, {"detail", f.detail}});
  return list;
}

}  // namespace

VerificationReport verify_dataset(const ImageFileDataset& dataset, int threads,
                                  const std::function<void(int64_t)>& progress) {
  const ImageIndex& index = dataset.index();
  VerificationReport report;
  report.dataset = dataset.name();
  report.split = index.split;
  report.images = index.size();
  report.classes = index.classes;
  report.images_per_class.assign(index.classes.size(), 0);
  for (const auto& e : index.entries) ++report.images_per_class[static_cast<std::size_t>(e.label)];
  report.problems = index.problems;

  std::atomic<int64_t> next{0}, done{0};
  std::mutex mutex;
  std::exception_ptr failure;  // guarded by mutex
  std::atomic<bool> failed{false};
  const auto work = [&] {
    try {
      ImageDecoder decoder;
      for (int64_t i = next++; i < index.size(); i = next++) {
        FileFinding finding{dataset.file_path(i), ""};
        enum { kOk, kUnreadable, kTruncated, kDisguised } kind = kOk;
        try {
          const EncodedImage file = dataset.read_encoded(i);
          const auto* data = reinterpret_cast<const uint8_t*>(file.bytes.data());
          const ImageHeader header = decoder.header(data, file.bytes.size(), file.path);
          const DecodedImage decoded = decoder.decode(data, file.bytes.size(), file.path, 8);
          const ImageFormat claimed = format_of_name(file.path);
          if (decoded.truncated) {
            kind = kTruncated;
            finding.detail = "premature end of JPEG data";
          } else if (claimed != ImageFormat::kUnknown && claimed != header.format) {
            kind = kDisguised;
            finding.detail = "a " + to_string(header.format) + " named as " + to_string(claimed);
          }
        } catch (const DataError& e) {
          kind = kUnreadable;
          finding.detail = e.what();
          // Decoder messages start with the file's path, which the report prints already.
          if (finding.detail.rfind(finding.path + ": ", 0) == 0)
            finding.detail.erase(0, finding.path.size() + 2);
        }
        if (kind != kOk) {
          std::lock_guard<std::mutex> lock(mutex);
          (kind == kUnreadable  ? report.unreadable
           : kind == kTruncated ? report.truncated
                                : report.disguised)
              .push_back(std::move(finding));
        }
        ++done;
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex);
      if (!failure) failure = std::current_exception();
      failed = true;
      next = index.size();
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < std::max(threads, 1); ++t) pool.emplace_back(work);
  if (progress) {
    // The calling thread reports progress while the pool decodes.
    std::thread last(work);
    while (done < index.size() && !failed) {
      progress(done);
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    last.join();
  } else {
    work();
  }
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
  if (progress) progress(done);
  const auto by_path = [](const FileFinding& a, const FileFinding& b) { return a.path < b.path; };
  std::sort(report.unreadable.begin(), report.unreadable.end(), by_path);
  std::sort(report.truncated.begin(), report.truncated.end(), by_path);
  std::sort(report.disguised.begin(), report.disguised.end(), by_path);
  return report;
}

nlohmann::json VerificationReport::to_json() const {
  nlohmann::json per_class = nlohmann::json::object();
  for (std::size_t c = 0; c < classes.size(); ++c) per_class[classes[c]] = images_per_class[c];
  return {{"dataset", dataset},
          {"split", split},
          {"images", images},
          {"classes", classes.size()},
          {"images_per_class", per_class},
          {"unreadable", findings_json(unreadable)},
          {"truncated", findings_json(truncated)},
          {"disguised", findings_json(disguised)},
          {"problems", problems},
          {"clean", clean()}};
}

std::string VerificationReport::to_text() const {
  std::ostringstream out;
  out << dataset << " " << split << ": " << images << " images, " << classes.size() << " classes\n";
  if (!images_per_class.empty()) {
    const auto [lo, hi] = std::minmax_element(images_per_class.begin(), images_per_class.end());
    out << "  images per class: min " << *lo << " (" << classes[lo - images_per_class.begin()]
        << "), max " << *hi << " (" << classes[hi - images_per_class.begin()] << ")\n";
    // Short class lists are printed whole; long ones only where something is wrong.
    for (std::size_t c = 0; c < classes.size(); ++c)
      if (classes.size() <= 20 || images_per_class[c] == 0)
        out << "    " << classes[c] << ": " << images_per_class[c] << "\n";
  }
  const auto section = [&](const char* title, const std::vector<FileFinding>& list) {
    out << "  " << title << ": " << list.size() << "\n";
    for (const auto& f : list) out << "    " << f.path << ": " << f.detail << "\n";
  };
  section("unreadable (skipped, or the run fails with data.bad_files: fail)", unreadable);
  section("truncated (used as far as they decode)", truncated);
  section("named as another format (decoded by their content)", disguised);
  out << "  label-list problems: " << problems.size() << "\n";
  for (const auto& p : problems) out << "    " << p << "\n";
  out << (clean() ? "  clean\n" : "  NOT clean\n");
  return out.str();
}

}  // namespace fct::data
