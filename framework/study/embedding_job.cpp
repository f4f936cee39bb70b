#include "framework/study/embedding_job.h"

#include <spdlog/spdlog.h>

#include "framework/core/error.h"
#include "framework/core/provenance.h"
#include "framework/data/dataset_registry.h"
#include "framework/data/transforms.h"
#include "framework/models/model_file.h"
#include "framework/train/feature_extraction.h"

namespace fct::study {

void run_embedding_job(const EmbeddingJob& job, dist::Communicator& comm) {
  auto model = models::load_embedding_model(job.model_path);
  const std::string dataset_name = model.info.spec.value("dataset", std::string());
  if (!dataset_name.empty() && dataset_name != job.data.name)
    throw ConfigError("model " + job.model_path + " was trained on " + dataset_name + ", not on " +
                      job.data.name);
  config::DataConfig data = job.data;
  data.classes.clear();
  data.limit = job.data.limit;
  const auto dataset = data::make_dataset(data, job.split, &comm);

  store::Attributes attributes{{"model", model.info.name},       {"model_hash", model.hash},
                               {"model_kind", model.info.kind},  {"config", model.info.config_yaml},
                               {"git_revision", git_revision()}, {"created", utc_timestamp()},
                               {"dataset", job.data.name},       {"split", job.split}};
  train::Encoders encoders;
  encoders.embedding = model.model;
  if (!job.side_info_path.empty()) {
    auto side = models::load_side_info_model(job.side_info_path);
    attributes["side_info_model"] = side.info.name;
    attributes["side_info_model_hash"] = side.hash;
    attributes["side_info_config"] = side.info.config_yaml;
    encoders.side_info = side.model;
  }
  train::ExtractionOptions options;
  options.batch_size = job.batch_size;
  options.loader_threads = job.data.loader_threads;
  options.device = job.device;
  options.show_progress = job.show_progress;
  options.label = "embed " + model.info.name;
  train::write_embeddings(comm, *dataset, data::eval_transform(job.data), encoders, job.output_path,
                          attributes, options);
  spdlog::info("embedded {} {} samples with {} into {}", dataset->size(), job.split,
               model.info.name, job.output_path);
}

}  // namespace fct::study
