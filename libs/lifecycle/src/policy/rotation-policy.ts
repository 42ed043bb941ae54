import { LifecycleError, LifecycleErrorCode } from '../lifecycle.errors';
import { IsoDuration, parseIsoDuration } from './iso-duration';

export type LifetimeActionType = 'rotate' | 'notify';

export interface LifetimeAction {
  action: LifetimeActionType;
  timeAfterCreate: string | null;
  timeBeforeExpiry: string | null;
}

/** As Azure Key Vault's key rotation policy: expiry of new versions, and what to do when. */
export interface RotationPolicy {
  expiryTime: string | null;
  lifetimeActions: LifetimeAction[];
  rewrapEscrow: boolean;
}

export interface ParsedAction {
  action: LifetimeActionType;
  after?: IsoDuration;
  before?: IsoDuration;
}

export interface ParsedPolicy {
  expiry?: IsoDuration;
  actions: ParsedAction[];
  rewrapEscrow: boolean;
}

/**
 * The rules Azure applies, so a policy written for it means the same here: each action has exactly one trigger;
 * `timeBeforeExpiry` needs `expiryTime` and must be shorter than it; `notify` triggers only before expiry; at most
 * one action of each kind; `rewrapEscrow` needs a rotate action.
 */
export function parseRotationPolicy(policy: RotationPolicy): ParsedPolicy {
  const duration = (text: string | null, field: string): IsoDuration | undefined => {
    if (text === null) return undefined;
    const parsed = parseIsoDuration(text);
    if (!parsed) throw invalid(`${field} is not an ISO-8601 duration such as P90D or PT12H`, field);
    return parsed;
  };
  const expiry = duration(policy.expiryTime, 'expiryTime');
  if (policy.lifetimeActions.length > 2) throw invalid('at most one rotate and one notify action', 'lifetimeActions');
  const seen = new Set<string>();
  const actions = policy.lifetimeActions.map((a, i): ParsedAction => {
    const field = `lifetimeActions.${i}`;
    if (a.action !== 'rotate' && a.action !== 'notify') throw invalid(`${field}.action must be rotate or notify`, field);
    if (seen.has(a.action)) throw invalid(`at most one ${a.action} action`, field);
    seen.add(a.action);
    if ((a.timeAfterCreate === null) === (a.timeBeforeExpiry === null)) throw invalid(`${field} needs exactly one of timeAfterCreate and timeBeforeExpiry`, field);
    const after = duration(a.timeAfterCreate, `${field}.timeAfterCreate`);
    const before = duration(a.timeBeforeExpiry, `${field}.timeBeforeExpiry`);
    if (a.action === 'notify' && !before) throw invalid('a notify action triggers timeBeforeExpiry', field);
    if (before) {
      if (!expiry) throw invalid('timeBeforeExpiry needs expiryTime', field);
      const base = new Date(0);
      if (addMs(base, before) >= addMs(base, expiry)) throw invalid('timeBeforeExpiry must be shorter than expiryTime', field);
    }
    return { action: a.action, after, before };
  });
  if (policy.rewrapEscrow && !actions.some((a) => a.action === 'rotate')) throw invalid('rewrapEscrow needs a rotate action', 'rewrapEscrow');
  return { expiry, actions, rewrapEscrow: policy.rewrapEscrow };
}

/** Rough length for comparing two durations (months as 30 days, years as 365). */
function addMs(base: Date, d: IsoDuration): number {
  return base.getTime() + ((((d.years * 365 + d.months * 30 + d.weeks * 7 + d.days) * 24 + d.hours) * 60 + d.minutes) * 60 + d.seconds) * 1000;
}

function invalid(message: string, field: string): LifecycleError {
  return new LifecycleError(LifecycleErrorCode.INVALID_ROTATION_POLICY, message, { field });
}
