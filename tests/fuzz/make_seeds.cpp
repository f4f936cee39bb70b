// fct_fuzz_make_seeds <corpus directory>: writes the seed corpus of every fuzz target from the test
// fixtures (tests/fuzz/corpus/ holds its output, committed; rerun it when a format changes).
// Each seed is a valid input, so the fuzzer starts from files fct reads and mutates inward.
#include <mpi.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "framework/distributed/communicator.h"
#include "framework/models/embedding_model.h"
#include "framework/models/model_file.h"
#include "framework/models/simclr_model.h"
#include "framework/models/state_dict_file.h"
#include "framework/models/transformation.h"
#include "framework/store/store_writer.h"
#include "framework/train/checkpoint.h"
#include "tests/dataset_fixtures.h"
#include "tests/fuzz/fuzz_support.h"
#include "tests/image_fixtures.h"
#include "tests/test_support.h"

namespace fct::fuzz {
namespace {

namespace fs = std::filesystem;

void write_seed(const fs::path& corpus, const std::string& target, const std::string& name,
                const std::string& bytes) {
  fs::create_directories(corpus / target);
  std::ofstream out(corpus / target / name, std::ios::binary | std::ios::trunc);
  out << bytes;
  if (!out) throw std::runtime_error("cannot write " + (corpus / target / name).string());
}

std::string bytes_of(const std::vector<uint8_t>& bytes) {
  return std::string(bytes.begin(), bytes.end());
}

// A dataset tree as one input: label files whole, image files empty (only their names matter).
std::string pack_tree(const fs::path& root) {
  std::vector<TreeFile> files;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    const std::string relative = fs::relative(entry.path(), root).string();
    const std::string extension = entry.path().extension().string();
    const bool label_file = extension == ".txt" || extension == ".csv";
    files.push_back({relative, label_file ? testing::read_text_file(entry.path()) : ""});
  }
  std::sort(files.begin(), files.end(),
            [](const TreeFile& a, const TreeFile& b) { return a.path < b.path; });
  return format_tree(files);
}

void layout_seeds(const fs::path& corpus) {
  const ScratchDirectory scratch("fct-fuzz-seeds");
  const std::pair<const char*, testing::ImagenetVal> imagenet[] = {
      {"folders", testing::ImagenetVal::kFolders},
      {"devkit_text", testing::ImagenetVal::kDevkitText},
      {"kaggle", testing::ImagenetVal::kKaggle}};
  for (const auto& [name, val] : imagenet) {
    const std::string root = scratch.path() + "/imagenet-" + name;
    testing::write_imagenet_fixture(root, val);
    write_seed(corpus, "imagenet_lists", std::string("tree-") + name, pack_tree(root));
  }
  testing::write_places365_fixture(scratch.path() + "/places365");
  write_seed(corpus, "places365_lists", "tree", pack_tree(scratch.path() + "/places365"));
  testing::write_vggface2_fixture(scratch.path() + "/vggface2");
  write_seed(corpus, "vggface2_lists", "tree", pack_tree(scratch.path() + "/vggface2"));
}

void image_seeds(const fs::path& corpus) {
  const auto rgb = testing::test_pattern(24, 40, 3, 1);
  const auto grey = testing::test_pattern(17, 9, 1, 2);
  const auto cmyk = testing::test_pattern(16, 16, 4, 3);
  // Each image seed starts with the parameter bytes its target reads first.
  const std::string scale(1, '\0');
  const std::string region = std::string("\x01\x02\x00\x03\x00\x10\x00\x0c\x01", 9);
  const std::map<std::string, std::string> jpegs = {
      {"baseline-420", bytes_of(testing::encode_jpeg(rgb))},
      {"baseline-444", bytes_of(testing::encode_jpeg(rgb, {90, testing::Chroma::k444, false}))},
      {"grey", bytes_of(testing::encode_jpeg(grey, {90, testing::Chroma::kGrey, false}))},
      {"progressive", bytes_of(testing::encode_jpeg(rgb, {85, testing::Chroma::k420, true}))},
      {"cmyk", bytes_of(testing::encode_cmyk_jpeg(cmyk))},
  };
  for (const auto& [name, bytes] : jpegs) {
    write_seed(corpus, "jpeg", name, scale + bytes);
    write_seed(corpus, "jpeg_region", name, region + bytes);
  }
  const std::string truncated = jpegs.at("baseline-420");
  write_seed(corpus, "jpeg", "truncated", scale + truncated.substr(0, truncated.size() * 6 / 10));
  write_seed(corpus, "png", "rgb", scale + bytes_of(testing::encode_png(rgb)));
}

void idx_seeds(const fs::path& corpus) {
  // Type uint8 (0), three dimensions (2), then an IDX3 file of 3 images of 4 x 5.
  std::string file = std::string("\x00\x02", 2) + std::string("\x00\x00\x08\x03", 4) +
                     std::string("\x00\x00\x00\x03\x00\x00\x00\x04\x00\x00\x00\x05", 12);
  for (int i = 0; i < 3 * 4 * 5; ++i) file += static_cast<char>(i * 7);
  write_seed(corpus, "idx", "images", file);
  // Labels: IDX1, uint8.
  std::string labels = std::string("\x00\x00", 2) + std::string("\x00\x00\x08\x01", 4) +
                       std::string("\x00\x00\x00\x04", 4) + std::string("\x01\x02\x03\x09", 4);
  write_seed(corpus, "idx", "labels", labels);
}

void store_seeds(const fs::path& corpus) {
  const ScratchDirectory scratch("fct-fuzz-seeds");
  auto comm = distributed::make_communicator("mpi", {});
  const std::pair<const char*, int64_t> stores[] = {{"with-side-info", 3}, {"plain", 0}};
  for (const auto& [name, side_dim] : stores) {
    store::StoreLayout layout{6, 4, side_dim, {{"sigma", 0}}};
    if (side_dim == 0) layout.extra_columns = {};
    const std::string path = scratch.path() + "/" + name + ".h5";
    store::StoreWriter writer(*comm, path, layout,
                              {{"model_hash", "0123456789abcdef"}, {"split", "val"}});
    store::StoreRows rows;
    rows.embeddings = torch::arange(24, torch::kFloat32).reshape({6, 4});
    rows.labels = torch::tensor({0, 1, 2, 0, 1, 2}, torch::kInt64);
    rows.ids = torch::arange(6, torch::kInt64);
    if (side_dim > 0) {
      rows.side_info = torch::ones({6, side_dim}, torch::kFloat32);
      rows.extra["sigma"] = torch::arange(6, torch::kInt64);
    }
    writer.write_rows(0, rows);
    writer.commit();
    write_seed(corpus, "store", name, testing::read_text_file(path));
  }
}

void model_seeds(const fs::path& corpus) {
  const ScratchDirectory scratch("fct-fuzz-seeds");
  torch::manual_seed(0);
  config::ModelConfig tiny;
  tiny.width = 2;
  tiny.embedding_dim = 4;
  auto embedding = models::make_embedding_model(tiny, 1, 3);
  models::save_model_file(
      scratch.path() + "/old.pt", *embedding,
      {models::kEmbeddingKind, "old",
       models::make_embedding_spec(tiny, "fashion_mnist", 1, {0, 1, 2}), "seed: 0\n"});
  models::SimclrModel side_info(tiny, 1, 4);
  models::save_model_file(scratch.path() + "/psi.pt", *side_info,
                          {models::kSideInfoKind, "side_info",
                           models::make_side_info_spec(tiny, "fashion_mnist", 1, 4), "seed: 0\n"});
  models::Transformation h(models::TransformationSpec{4, 3, 4, 8, true, true});
  models::save_model_file(scratch.path() + "/h.pt", *h,
                          {models::kTransformationKind, "h",
                           models::make_transformation_spec(h->spec(), "aa", "bb", "cc"), ""});
  for (const char* name : {"old", "psi", "h"})
    write_seed(corpus, "model_file", name,
               std::string(1, '\0') + testing::read_text_file(scratch.path() + "/" + name + ".pt"));

  auto model = torch::nn::Sequential(torch::nn::Linear(4, 8), torch::nn::BatchNorm1d(8),
                                     torch::nn::ReLU(), torch::nn::Linear(8, 3));
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
  optimizer.zero_grad();
  model->forward(torch::randn({5, 4})).sum().backward();
  optimizer.step();
  train::save_checkpoint(scratch.path() + "/checkpoint.pt", *model, optimizer, {2, 10, 7});
  write_seed(corpus, "model_file", "checkpoint",
             std::string(1, '\1') + testing::read_text_file(scratch.path() + "/checkpoint.pt"));

  models::write_state_dict_file(scratch.path() + "/state.pth", *model);
  write_seed(corpus, "state_dict", "sequential",
             testing::read_text_file(scratch.path() + "/state.pth"));
}

void config_seeds(const fs::path& corpus, const fs::path& experiments) {
  for (const auto& entry : fs::directory_iterator(experiments)) {
    if (entry.path().extension() != ".yaml") continue;
    const std::string text = testing::read_text_file(entry.path());
    const std::string name = entry.path().stem().string();
    // Every file feeds both targets: a study file is a sweep file without axes, and the other
    // way round a sweep file's study part is checked by the config target.
    write_seed(corpus, "sweep", name,
               text + "\n--- arguments\ntrain.lr=0.1,0.2\nseed=range(0,3)\ndata.limit=100");
    write_seed(corpus, "config", name,
               text + "\n--- overrides\nseed=3\nschedule.epochs=2\ndata.limit=100");
  }
}

void slurm_seeds(const fs::path& corpus) {
  write_seed(corpus, "slurm_output", "running",
             std::string("\0\0", 2) + "4242\n--- squeue\n42 RUNNING\n42 PENDING\n");
  write_seed(corpus, "slurm_output", "cluster",
             std::string("\0\0", 2) + "4243;cluster\n--- squeue\n42_[1-3] PENDING\n");
  write_seed(corpus, "slurm_output", "refused",
             std::string("\1\1", 2) +
                 "sbatch: error: Batch job submission failed: Invalid account\n--- squeue\n"
                 "slurm_load_jobs error: Invalid job id specified\n");
}

}  // namespace
}  // namespace fct::fuzz

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: fct_fuzz_make_seeds <corpus directory> <experiments directory>\n";
    return 2;
  }
  MPI_Init(&argc, &argv);
  int status = 0;
  try {
    const std::filesystem::path corpus = argv[1];
    fct::fuzz::layout_seeds(corpus);
    fct::fuzz::image_seeds(corpus);
    fct::fuzz::idx_seeds(corpus);
    fct::fuzz::store_seeds(corpus);
    fct::fuzz::model_seeds(corpus);
    fct::fuzz::config_seeds(corpus, argv[2]);
    fct::fuzz::slurm_seeds(corpus);
    std::cout << "seeds written under " << corpus << "\n";
  } catch (const std::exception& e) {
    std::cerr << "fct_fuzz_make_seeds: " << e.what() << "\n";
    status = 1;
  }
  MPI_Finalize();
  return status;
}
