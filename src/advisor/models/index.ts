/** The model catalog and the ways into it. */
export { MODEL_CATALOG } from './catalog.ts';
export { modelTokens, normaliseModelText } from './normalise.ts';
export {
  findModelMention,
  type ModelMention,
  mentionsModelFamily,
  modelById,
  resolveModel,
  suggestModels,
} from './resolve.ts';
export { type ParamCount, parseParamCount, type SyntheticOptions, syntheticModel } from './synthetic.ts';
