/**
 * The troubleshooting page's "fields look wrong" items, said once per run with the fix instead of
 * discovered in the dashboard: identity passed as a property, a model without a provider, a
 * provider that does not match its model id, and spans recorded in AWS Lambda outside a wrapped
 * handler. Only warnings: nothing is changed, and the provider is never inferred (SPEC §4).
 */
import type { Attributes } from '@opentelemetry/api';
import type { Client } from './client.js';
import { inLambda } from './config-warnings.js';
import { warnOnce } from './warnings.js';

const USER_ID_KEY = /^(?:end[_.-]?)?user[_.-]?id$/i;
const CONVO_ID_KEY = /^(?:convo|conversation|session|thread|chat)[_.-]?id$/i;

// Bedrock model ids: `<vendor>.<model>` with an optional cross-region prefix (`us.`, `eu.`...),
// usually ending in `-v1:0`; or a Bedrock ARN. Nothing else uses that shape.
const BEDROCK_VENDORS =
  'anthropic|amazon|meta|mistral|cohere|ai21|stability|deepseek|writer|qwen|openai|twelvelabs|luma';
const BEDROCK_MODEL = new RegExp(
  `^(?:arn:aws[\\w-]*:bedrock:|(?:(?:us|eu|apac|us-gov|global|jp|au)\\.)?(?:${BEDROCK_VENDORS})\\.[\\w.-]+(?::\\d+)?$)`,
  'i',
);
const BEDROCK_PROVIDERS = new Set(['aws_bedrock', 'aws.bedrock']);
// Model families whose provider is certain, and providers that can never serve them.
const FAMILY_CLASHES: [RegExp, string, string[]][] = [
  [/^claude-/i, 'anthropic', ['openai', 'google', 'gcp.gemini', 'azure.ai.openai']],
  [/^(?:gpt-|o[134](?:-|$)|chatgpt-|text-embedding-)/i, 'openai', ['anthropic', 'google', 'gcp.gemini']],
  [/^gemini-/i, 'google', ['openai', 'anthropic']],
];

/** Whether this client runs in AWS Lambda; read once per client (the platform does not change). */
const lambdaByClient = new WeakMap<Client, boolean>();

/** Checks a new span's fields; `trackAi` is the call that should always name its provider. */
export function diagnoseFields(
  client: Client,
  attrs: Attributes,
  identity: { userId?: string | undefined; sessionId?: string | undefined },
  model: string | undefined,
  provider: string | undefined,
  inInvocation: boolean,
): void {
  if (!inInvocation) checkLambda(client);
  if (identity.userId === undefined || identity.sessionId === undefined) checkIdentityProperties(attrs, identity);
  if (model !== undefined && provider === undefined)
    warnOnce(
      'provider_missing',
      `\`model\` "${model}" was recorded without \`provider\` (never inferred from the model name). ` +
        "Pass `provider`, e.g. 'openai', 'anthropic', 'aws_bedrock'.",
    );
  if (provider !== undefined) checkProvider(model, provider);
}

function checkLambda(client: Client): void {
  let lambda = lambdaByClient.get(client);
  if (lambda === undefined) lambdaByClient.set(client, (lambda = inLambda()));
  if (!lambda) return;
  warnOnce(
    'lambda_unwrapped',
    'A span was recorded in AWS Lambda outside a wrapped handler: spans still queued when Lambda freezes the ' +
      'process are lost. Wrap it with wrapHandler() from @bentolabs/sdk/lambda (or bentoMiddleware() for ' +
      'Middy/serverless-http); spans recorded at module load go out with the first wrapped invocation.',
  );
}

function checkIdentityProperties(
  attrs: Attributes,
  identity: { userId?: string | undefined; sessionId?: string | undefined },
): void {
  for (const key of Object.keys(attrs)) {
    if (identity.userId === undefined && USER_ID_KEY.test(key))
      warnOnce(
        'user_id_property',
        `A user id was passed as the property \`${key}\`, so the span has no user: pass the top-level \`userId\` field instead.`,
      );
    else if (identity.sessionId === undefined && CONVO_ID_KEY.test(key))
      warnOnce(
        'convo_id_property',
        `A conversation id was passed as the property \`${key}\`, so turns are not grouped: ` +
          'pass the top-level `convoId` field (`sessionId` in propagateAttributes) instead.',
      );
  }
}

function checkProvider(model: string | undefined, provider: string): void {
  const clean = provider.trim().toLowerCase();
  if (clean !== provider) {
    warnOnce(
      'provider_format',
      `\`provider\` ${JSON.stringify(provider)} has ` +
        `${provider.trim() !== provider ? 'surrounding whitespace' : 'capital letters'}: pass '${clean}'.`,
      `provider_format:${provider}`,
    );
  }
  if (clean === 'bedrock' || clean === 'amazon_bedrock' || clean === 'aws-bedrock') {
    warnOnce(
      'provider_mismatch',
      `\`provider\` ${JSON.stringify(provider)}: pass 'aws_bedrock' for Bedrock.`,
      `provider_mismatch:${clean}`,
    );
    return;
  }
  if (model === undefined) return;
  if (BEDROCK_MODEL.test(model.trim()) && !BEDROCK_PROVIDERS.has(clean)) {
    warnOnce(
      'provider_mismatch',
      `\`model\` "${model}" is an AWS Bedrock model id but \`provider\` is ${JSON.stringify(provider)}: pass provider: 'aws_bedrock'.`,
      `provider_mismatch:${clean}:${model}`,
    );
    return;
  }
  for (const [family, owner, never] of FAMILY_CLASHES) {
    if (family.test(model.trim()) && never.includes(clean)) {
      warnOnce(
        'provider_mismatch',
        `\`model\` "${model}" is a model of '${owner}' but \`provider\` is ${JSON.stringify(provider)}: pass the provider that served it.`,
        `provider_mismatch:${clean}:${model}`,
      );
      return;
    }
  }
}
