import { buildWorkload } from '../../advisor/workload.ts';
import { parseAdviceQuestion } from './advice-question.ts';
import { checked } from './checked-calls.ts';
import { extractGpus } from './extract-gpu.ts';
import { emptyExtraction, type Plan } from './types.ts';
import { UnreadText } from './unread-text.ts';

/**
 * The GPU advisor's phrasings: advice questions become one recommend_gpu call, and "deploy it"
 * after an answer becomes deploy_recommendation. Both run before the other intents, and only on
 * text that is clearly theirs, so "deploy a 4090" and "cheapest 4090" keep their plans.
 */

/** An advice question as a recommend_gpu call, or the question to ask when the model is unknown. */
export function readAdviceQuestion(text: string): Plan | undefined {
  const question = parseAdviceQuestion(text);
  if (!question) return undefined;
  if (question.problem) return { kind: 'clarify', message: question.problem };
  // The model is checked here rather than by the tool, so the user is asked at once, in chat.
  const built = buildWorkload(question.args);
  if ('needSize' in built) return { kind: 'clarify', message: built.needSize };
  if ('unknownModel' in built) {
    const hint = built.suggestions.length > 0 ? ` Did you mean ${orList(built.suggestions)}?` : '';
    return {
      kind: 'clarify',
      message: `I don't know a model called "${built.unknownModel}".${hint} For another model, give its size in parameters, e.g. "a 13B model in fp16".`,
    };
  }
  return checked({ tool: 'recommend_gpu', args: question.args });
}

// "yes", "ok", "great," before the request, "please"/"now" after it.
const LEAD = String.raw`^(?:(?:yes|yeah|yep|yup|ok|okay|sure|great|perfect|cool|alright|sounds\s+good|let'?s|lets|please|go\s+ahead\s+and|then|now|just)[\s,.!]+)*`;
const TAIL = String.raw`(?:[\s,]+(?:please|now|then|thanks|thank\s+you|for\s+me))*[\s.!]*$`;
// Not "start" ("start it" may mean resuming a machine) nor "do it", which follows any question.
const VERB = String.raw`(?:deploy|rent|launch|provision|spin\s+up|book|take|go\s+(?:ahead\s+)?with)`;
const PICK = String.raw`(?:it|that|this|that\s+one|this\s+one|them|the\s+(?:recommend(?:ation|ed)(?:\s+(?:one|option|gpus?|config(?:uration)?|setup|machine|offer))?|pick|top\s+(?:pick|choice|option|one)|first\s+(?:one|option)|suggest(?:ion|ed\s+one)|best\s+(?:one|option)))`;

const DEPLOY_PICK = new RegExp(`${LEAD}${VERB}\\s+${PICK}${TAIL}`, 'i');
const GO_WITH = new RegExp(
  `${LEAD}(?:go\\s+with|let'?s\\s+go\\s+with)\\s+(?:it|that|this|that\\s+one|the\\s+pick)${TAIL}`,
  'i',
);
// "deploy the cheaper one", "go with the cheapest option", "the cheaper one then".
const CHEAPER = new RegExp(
  `${LEAD}(?:(?:${VERB}|go\\s+with|let'?s\\s+go\\s+with)\\s+)?the\\s+cheap(?:er|est)(?:\\s+(?:one|option|alternative|config(?:uration)?|setup|machine|offer))?${TAIL}`,
  'i',
);
const ALTERNATIVE = /\b(?:option|alternative|alt|recommend\w*|suggest\w*)\b/;
const DEPLOY_START = new RegExp(`${LEAD}${VERB}\\b`, 'i');

/**
 * "deploy it", "rent that", "yes deploy it", "launch the recommended one" → the last
 * recommendation; "deploy the 4090 option instead", "deploy the alternative with A100 80GB" → that
 * alternative.
 */
export function readDeployRecommendation(text: string): Plan | undefined {
  const lower = text.toLowerCase().trim();
  if (CHEAPER.test(lower)) return checked({ tool: 'deploy_recommendation', args: { cheapest: true } });
  if (DEPLOY_PICK.test(lower) || GO_WITH.test(lower)) {
    return checked({ tool: 'deploy_recommendation', args: {} });
  }
  if (!DEPLOY_START.test(lower)) return undefined;
  const unread = new UnreadText(text);
  const ex = emptyExtraction();
  extractGpus(unread, ex);
  const [gpu, ...others] = ex.gpus;
  const instead = /\binstead\b/.test(lower);
  // "deploy a 4090 instead" is a plain deploy; "the 4090 option", "the alternative with the
  // 4090" and "the 4090 instead" point into the last answer.
  const pointsBack =
    ALTERNATIVE.test(lower) || (instead && /\bthe\s+§g/.test(unread.text.replace(/\s+/g, ' ')));
  if (!pointsBack) return undefined;
  if (gpu === undefined) {
    return /\b(?:alternative|alt|option)\b/.test(lower)
      ? {
          kind: 'clarify',
          message:
            'Which alternative? Name its GPU, e.g. "deploy the A100 80GB option instead", or say "deploy it" for the pick.',
        }
      : undefined;
  }
  if (others.length > 0) return undefined;
  return checked({ tool: 'deploy_recommendation', args: { instead_gpu: gpu.id } });
}

function orList(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}
