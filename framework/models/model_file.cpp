#include "framework/models/model_file.h"

#include <fstream>

#include "framework/core/archive_output.h"
#include "framework/core/error.h"
#include "framework/core/hash.h"
#include "framework/core/zip_integrity.h"

namespace fct::models {
namespace {

constexpr int64_t kFormatVersion = 1;

nlohmann::json model_config_json(const config::ModelConfig& model) {
  return {{"arch", model.arch},
          {"embedding_dim", model.embedding_dim},
          {"width", model.width},
          {"head", config::name_of(model.head)}};
}

template <class T>
T spec_value(const ModelFileInfo& info, const std::string& key) {
  if (!info.spec.contains(key)) throw Error("spec lacks the key '" + key + "'");
  try {
    return info.spec.at(key).get<T>();
  } catch (const nlohmann::json::exception& e) {
    throw Error("spec key '" + key + "' has the wrong type: " + e.what());
  }
}

// Runs `read` over a model file's header or spec, naming the file in whatever it throws: a
// hand-edited or truncated header must not surface as a bare JSON exception.
template <class Read>
auto naming_file(const std::string& path, Read&& read) {
  try {
    return read();
  } catch (const nlohmann::json::exception& e) {
    throw Error("model file " + path + ": malformed header: " + e.what());
  } catch (const fct::Error& e) {
    throw Error("model file " + path + ": " + e.what());
  }
}

template <class Model>
LoadedModel<Model> load_weights(const std::string& path, Model model, ModelFileInfo info) {
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path);
    torch::serialize::InputArchive weights;
    archive.read("weights", weights);
    model->load(weights);
  } catch (const std::exception& e) {
    throw Error("model file " + path + ": weights do not load: " + e.what());
  }
  model->eval();
  return {model, std::move(info), model_file_hash(path)};
}

}  // namespace

void save_model_file(const std::string& path, torch::nn::Module& module,
                     const ModelFileInfo& info) {
  const nlohmann::json header = {{"format_version", kFormatVersion},
                                 {"kind", info.kind},
                                 {"name", info.name},
                                 {"spec", info.spec},
                                 {"config", info.config_yaml}};
  torch::serialize::OutputArchive archive;
  torch::serialize::OutputArchive weights;
  module.save(weights);
  archive.write("weights", weights);
  archive.write("fct_model", c10::IValue(header.dump()));
  save_archive_atomically(archive, path);
}

ModelFileInfo read_model_info(const std::string& path, const std::string& expected_kind) {
  verify_zip_file(path, "model file");  // Note [Damaged archives]
  nlohmann::json header;
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path);
    c10::IValue value;
    if (!archive.try_read("fct_model", value) || !value.isString())
      throw Error("no fct model header (was it written by `fct`?)");
    header = nlohmann::json::parse(value.toStringRef());
  } catch (const fct::Error& e) {
    throw Error("model file " + path + ": " + e.what());
  } catch (const std::exception& e) {
    throw Error("model file " + path + " cannot be read: " + e.what());
  }
  if (header.value("format_version", int64_t{0}) != kFormatVersion)
    throw Error("model file " + path + ": unsupported format version " +
                header.value("format_version", nlohmann::json()).dump());
  ModelFileInfo info = naming_file(path, [&] {
    return ModelFileInfo{header.at("kind").get<std::string>(), header.at("name").get<std::string>(),
                         header.at("spec"), header.at("config").get<std::string>()};
  });
  if (!expected_kind.empty() && info.kind != expected_kind)
    throw Error("model file " + path + " holds a " + info.kind + " model, a " + expected_kind +
                " model is needed here");
  return info;
}

std::string model_file_hash(const std::string& path) {
  return file_hash(path);
}

nlohmann::json make_embedding_spec(const config::ModelConfig& model, const std::string& dataset,
                                   int64_t in_channels, const std::vector<int64_t>& classes) {
  return {{"model", model_config_json(model)},
          {"dataset", dataset},
          {"in_channels", in_channels},
          {"classes", classes}};
}

nlohmann::json make_side_info_spec(const config::ModelConfig& model, const std::string& dataset,
                                   int64_t in_channels, int64_t projection_dim) {
  return {{"model", model_config_json(model)},
          {"dataset", dataset},
          {"in_channels", in_channels},
          {"projection_dim", projection_dim}};
}

nlohmann::json make_transformation_spec(const TransformationSpec& spec,
                                        const std::string& old_model_hash,
                                        const std::string& side_info_model_hash,
                                        const std::string& new_model_hash) {
  return {{"old_dim", spec.old_dim},          {"side_dim", spec.side_dim},
          {"new_dim", spec.new_dim},          {"inner_width", spec.inner_width},
          {"side_info", spec.side_info},      {"uncertainty", spec.uncertainty},
          {"old_model_hash", old_model_hash}, {"side_info_model_hash", side_info_model_hash},
          {"new_model_hash", new_model_hash}};
}

config::ModelConfig model_config_of(const ModelFileInfo& info) {
  const auto m = spec_value<nlohmann::json>(info, "model");
  config::ModelConfig model;
  model.arch = m.at("arch").get<std::string>();
  model.embedding_dim = m.at("embedding_dim").get<int64_t>();
  model.width = m.at("width").get<int64_t>();
  const auto head_name = m.at("head").get<std::string>();
  const auto head = config::enum_from_name<config::EmbeddingHead>(head_name);
  if (!head) throw Error("spec: unknown embedding head '" + head_name + "'");
  model.head = *head;
  return model;
}

std::string trained_dataset_of(const ModelFileInfo& info) {
  return info.spec.value("dataset", std::string());
}

std::vector<int64_t> trained_classes_of(const ModelFileInfo& info) {
  return info.spec.value("classes", std::vector<int64_t>());
}

TransformationModels transformation_models_of(const ModelFileInfo& info) {
  return {info.spec.value("old_model_hash", std::string()),
          info.spec.value("side_info_model_hash", std::string()),
          info.spec.value("new_model_hash", std::string())};
}

TransformationSpec transformation_spec_of(const ModelFileInfo& info) {
  TransformationSpec spec;
  spec.old_dim = spec_value<int64_t>(info, "old_dim");
  spec.side_dim = spec_value<int64_t>(info, "side_dim");
  spec.new_dim = spec_value<int64_t>(info, "new_dim");
  spec.inner_width = spec_value<int64_t>(info, "inner_width");
  spec.side_info = spec_value<bool>(info, "side_info");
  // Files written before FastFill have no "uncertainty": no σ head.
  spec.uncertainty = info.spec.value("uncertainty", false);
  return spec;
}

LoadedModel<EmbeddingModel> load_embedding_model(const std::string& path) {
  auto info = read_model_info(path, kEmbeddingKind);
  auto model = naming_file(path, [&] {
    const auto classes = spec_value<std::vector<int64_t>>(info, "classes");
    return make_embedding_model(model_config_of(info), spec_value<int64_t>(info, "in_channels"),
                                static_cast<int64_t>(classes.size()));
  });
  return load_weights(path, model, std::move(info));
}

LoadedModel<SimclrModel> load_side_info_model(const std::string& path) {
  auto info = read_model_info(path, kSideInfoKind);
  auto model = naming_file(path, [&] {
    return SimclrModel(model_config_of(info), spec_value<int64_t>(info, "in_channels"),
                       spec_value<int64_t>(info, "projection_dim"));
  });
  return load_weights(path, model, std::move(info));
}

LoadedModel<Transformation> load_transformation(const std::string& path) {
  auto info = read_model_info(path, kTransformationKind);
  auto model = naming_file(path, [&] { return Transformation(transformation_spec_of(info)); });
  return load_weights(path, model, std::move(info));
}

}  // namespace fct::models
