#include "framework/study/embedding_job.h"

#include <spdlog/spdlog.h>

#include "framework/core/error.h"
#include "framework/data/dataset_registry.h"
#include "framework/data/transforms.h"
#include "framework/models/model_file.h"
#include "framework/train/feature_extraction.h"

namespace fct::study {

void run_embedding_job(const EmbeddingJob& job, distributed::Communicator& comm) {
  auto model = models::load_embedding_model(job.model_path);
  const std::string dataset_name = models::trained_dataset_of(model.info);
  if (!dataset_name.empty() && dataset_name != job.data.name)
    throw ConfigError("model " + job.model_path + " was trained on " + dataset_name + ", not on " +
                      job.data.name);
  config::DataConfig data = job.data;
  data.classes.clear();
  data.limit = job.data.limit;
  const auto dataset = data::make_dataset(data, job.split, &comm);

  store::Attributes attributes = store::provenance_attributes(
      model.info.name, model.hash, model.info.config_yaml, job.data.name, job.split);
  attributes[store::attribute::kModelKind] = model.info.kind;
  train::Encoders encoders;
  encoders.embedding = model.model;
  if (!job.side_info_path.empty()) {
    auto side = models::load_side_info_model(job.side_info_path);
    attributes[store::attribute::kSideInfoModel] = side.info.name;
    attributes[store::attribute::kSideInfoModelHash] = side.hash;
    attributes[store::attribute::kSideInfoConfig] = side.info.config_yaml;
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
