// Retrieval-evaluation throughput: random clustered embeddings (query set = gallery set, as in the
// protocol's leave-one-out evaluation), timed through fct::eval::evaluate_retrieval on every rank.
// With --reference (one rank only) it also times the naive evaluation (full distance matrix, a full
// sort of every row) on the same data, checks that both agree, and reports the speed-up.
// Prints one JSON object (rank 0). bench/eval_retrieval.sh runs the standard configurations.
#include <ATen/Parallel.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "framework/core/allocator_tuning.h"
#include "framework/core/error.h"
#include "framework/distributed/communicator.h"
#include "framework/distributed/compute_threads.h"
#include "framework/distributed/runtime.h"
#include "framework/eval/retrieval.h"
#include "framework/store/store_format.h"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux reports KiB
}

// Class centres ~ N(0, 1), samples = centre + spread * N(0, 1); labels balanced (i mod classes),
// ids 0..n-1. The same seed gives the same set on every rank.
fct::eval::EmbeddingSet clustered_set(int64_t n, int64_t d, int64_t classes, double spread,
                                      uint64_t seed) {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  const torch::Tensor centres = torch::randn({classes, d}, generator, torch::kFloat32);
  const torch::Tensor labels = torch::arange(n, torch::kInt64).remainder(classes);
  const torch::Tensor embeddings =
      centres.index_select(0, labels) + spread * torch::randn({n, d}, generator, torch::kFloat32);
  return {embeddings, labels, torch::arange(n, torch::kInt64)};
}

struct NaiveFigures {
  double top1 = 0, top5 = 0, mAP = 0;
  int64_t queries = 0;
};

// The naive evaluation the blocked one replaces: the whole N x N distance matrix, then per query
// a full sort of its row, CMC by walking the ranking and AP with tie groups as one step.
NaiveFigures naive_full_sort(const fct::eval::EmbeddingSet& query,
                             const fct::eval::EmbeddingSet& gallery, fct::eval::Distance distance) {
  const torch::Tensor matrix =
      fct::eval::pairwise_distances(query.embeddings, gallery.embeddings, distance);
  const int64_t nq = matrix.size(0), ng = matrix.size(1);
  const float* m = matrix.data_ptr<float>();
  const int64_t* ql = query.labels.data_ptr<int64_t>();
  const int64_t* gl = gallery.labels.data_ptr<int64_t>();
  const int64_t* qid = query.ids.data_ptr<int64_t>();
  const int64_t* gid = gallery.ids.data_ptr<int64_t>();
  std::vector<double> ap(static_cast<size_t>(nq), 0.0);
  std::vector<int64_t> rank(static_cast<size_t>(nq), 0);
  at::parallel_for(0, nq, 1, [&](int64_t begin, int64_t end) {
    std::vector<std::pair<float, bool>> ranking;
    for (int64_t i = begin; i < end; ++i) {
      ranking.clear();
      for (int64_t j = 0; j < ng; ++j)
        if (gid[j] != qid[i]) ranking.emplace_back(m[i * ng + j], gl[j] == ql[i]);
      std::sort(ranking.begin(), ranking.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
      int64_t positives = 0;
      for (const auto& item : ranking) positives += item.second;
      if (positives == 0) continue;
      int64_t negatives_before = 0, tp = 0, seen = 0;
      bool found = false;
      double sum = 0.0;
      for (size_t a = 0; a < ranking.size();) {
        size_t b = a;
        int64_t group_tp = 0;
        while (b < ranking.size() && ranking[b].first == ranking[a].first)
          group_tp += ranking[b++].second;
        if (!found && group_tp == 0) negatives_before += static_cast<int64_t>(b - a);
        if (group_tp > 0) found = true;
        tp += group_tp;
        seen += static_cast<int64_t>(b - a);
        if (group_tp > 0) sum += static_cast<double>(group_tp) * tp / static_cast<double>(seen);
        a = b;
      }
      ap[i] = sum / static_cast<double>(positives);
      rank[i] = 1 + negatives_before;
    }
  });
  NaiveFigures figures;
  double ap_sum = 0.0;
  int64_t top1 = 0, top5 = 0;
  for (int64_t i = 0; i < nq; ++i) {
    if (rank[i] == 0) continue;
    ++figures.queries;
    top1 += rank[i] <= 1;
    top5 += rank[i] <= 5;
    ap_sum += ap[i];
  }
  if (figures.queries > 0) {
    figures.top1 = 100.0 * top1 / figures.queries;
    figures.top5 = 100.0 * top5 / figures.queries;
    figures.mAP = 100.0 * ap_sum / figures.queries;
  }
  return figures;
}

}  // namespace

int main(int argc, char** argv) {
  fct::tune_allocator();  // as the fct command does (Note [Allocator])
  fct::distributed::Runtime runtime(&argc, &argv);
  const auto& info = runtime.info();
  CLI::App app{"fct retrieval-evaluation benchmark"};
  int64_t n = 10000, d = 128, classes = 1000, threads = 0, block = 0;
  uint64_t seed = 0;
  double spread = 1.5;
  std::string distance_name = "l2";
  bool reference = false;
  app.add_option("--n", n, "queries = gallery items");
  app.add_option("--d", d, "embedding dimension");
  app.add_option("--classes", classes);
  app.add_option("--spread", spread, "within-class standard deviation (class centres ~ N(0, 1))");
  app.add_option("--seed", seed);
  app.add_option("--threads", threads, "intra-op threads per rank (0 = cores / ranks)");
  app.add_option("--block", block, "queries per block (0 = automatic)");
  app.add_option("--distance", distance_name, "l2 or cosine");
  app.add_flag("--reference", reference, "also time the naive full-sort evaluation (one rank)");
  CLI11_PARSE(app, argc, argv);

  try {
    const int thread_count = fct::distributed::threads_for_rank(static_cast<int>(threads), info);
    const bool blas_threads_set = fct::distributed::set_compute_threads(thread_count);
    auto comm = fct::distributed::make_communicator("mpi", {});
    if (reference && info.size != 1)
      throw fct::Error("--reference runs on one rank only (it is the single-process baseline)");
    fct::eval::RetrievalOptions options;
    const auto distance = fct::config::enum_from_name<fct::config::Distance>(distance_name);
    if (!distance)
      throw fct::ConfigError("--distance: expected l2 or cosine, got " + distance_name);
    options.distance = *distance;
    options.block_size = block;
    const auto set = clustered_set(n, d, classes, spread, seed);

    comm->barrier();
    const auto start = Clock::now();
    const auto result = fct::eval::evaluate_retrieval(*comm, set, set, options);
    auto elapsed = torch::tensor({seconds_since(start)}, torch::kFloat64);
    comm->all_reduce(elapsed, fct::distributed::ReduceOp::kMax);  // as fast as the slowest rank
    auto rss = torch::tensor({peak_rss_mb()}, torch::kFloat64);
    auto rss_max = rss.clone();
    comm->all_reduce(rss_max, fct::distributed::ReduceOp::kMax);
    comm->all_reduce(rss, fct::distributed::ReduceOp::kSum);

    // The floor: the same product (this rank's queries against the whole gallery) through the
    // BLAS fct links, with the same threads, into one reused block (the full matrix would not fit).
    const auto [first, last] = fct::store::rank_rows(n, info.rank, info.size);
    comm->barrier();
    const auto gemm_start = Clock::now();
    {
      constexpr int64_t kRows = 1024;
      const torch::Tensor gallery_t = set.embeddings.t();
      torch::Tensor block = torch::empty({kRows, n}, torch::kFloat32);
      for (int64_t row = first; row < last; row += kRows) {
        const int64_t b = std::min(kRows, last - row);
        torch::Tensor out = block.narrow(0, 0, b);
        torch::mm_out(out, set.embeddings.narrow(0, row, b), gallery_t);
      }
    }
    auto gemm = torch::tensor({seconds_since(gemm_start)}, torch::kFloat64);
    comm->all_reduce(gemm, fct::distributed::ReduceOp::kMax);

    nlohmann::json out = {{"n", n},
                          {"d", d},
                          {"classes", classes},
                          {"spread", spread},
                          {"distance", distance_name},
                          {"ranks", info.size},
                          {"threads", thread_count},
                          {"openblas_threads_set", blas_threads_set},
                          {"seconds", elapsed.item<double>()},
                          {"sgemm_seconds", gemm.item<double>()},
                          {"seconds_over_sgemm", elapsed.item<double>() / gemm.item<double>()},
                          {"peak_rss_mb", rss_max.item<double>()},
                          {"peak_rss_mb_all_ranks", rss.item<double>()},
                          {"queries", result.queries},
                          {"top1", result.top1},
                          {"top5", result.top5},
                          {"mAP", result.mAP}};
    if (reference) {
      const auto naive_start = Clock::now();
      const NaiveFigures naive = naive_full_sort(set, set, options.distance);
      const double naive_seconds = seconds_since(naive_start);
      const bool agree = naive.queries == result.queries && naive.top1 == result.top1 &&
                         naive.top5 == result.top5 && std::abs(naive.mAP - result.mAP) < 1e-9;
      out["reference"] = {{"seconds", naive_seconds},
                          {"peak_rss_mb", peak_rss_mb()},
                          {"top1", naive.top1},
                          {"mAP", naive.mAP},
                          {"agrees", agree}};
      out["speedup_vs_reference"] = naive_seconds / elapsed.item<double>();
      if (!agree) throw fct::Error("the blocked and the naive evaluation disagree: " + out.dump());
    }
    if (info.rank == 0) std::cout << out.dump() << std::endl;
  } catch (const std::exception& e) {
    std::cerr << "rank " << info.rank << ": " << e.what() << std::endl;
    if (info.size > 1) fct::distributed::Runtime::abort_job(1);
    return 1;
  }
  return 0;
}
