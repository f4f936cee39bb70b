// The store nodes: the evaluation split through a model, and the old gallery through h.
#include "framework/config/result_key.h"
#include "framework/study/embedding_job.h"
#include "framework/study/stage_nodes.h"

namespace fct::study {

graph::StageNode store_node(const StageEnvironment& env, const config::StudyConfig& study,
                            const std::string& label, const std::string& model_id,
                            const std::string& side_info_id) {
  graph::StageNode node;
  node.kind = "store";
  node.config = "split " + study.eval.split + "\n" + config::result_key(study.data);
  node.inputs = {model_id};
  if (!side_info_id.empty()) node.inputs.push_back(side_info_id);
  node.label = "store " + label;
  EmbeddingJob job;
  job.data = study.data;
  job.split = study.eval.split;
  job.batch_size = study.new_model.schedule.eval_batch_size;
  job.device = env.options.device;
  job.show_progress = env.options.show_progress;
  node.build = [env, job](const graph::NodeBuild& build) {
    EmbeddingJob run = job;
    run.model_path = model_in(build.inputs.at(0));
    run.side_info_path = build.inputs.size() > 1 ? model_in(build.inputs[1]) : "";
    run.output_path = store_in(build.directory);
    run_embedding_job(run, env.comm);
  };
  return node;
}

}  // namespace fct::study
