import { Injectable, Logger, OnModuleInit, SetMetadata } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { BusEvent, EventType } from './event-map';

/**
 * A handler's answer: `taken` (done with it, or nothing to do), or `deliver-again` (it could not take
 * the event in now and its source should deliver it again; handlers are idempotent, so a repeat is safe).
 */
export type HandlerOutcome = 'taken' | 'deliver-again';
/** A publish's answer: `deliver-again` when any handler answered so. */
export type PublishOutcome = HandlerOutcome;

export type EventHandler<T extends EventType> = (event: BusEvent<T>) => Promise<HandlerOutcome>;

interface Subscription {
  name: string;
  types: ReadonlySet<EventType>;
  priority: number;
  handle: (event: BusEvent) => Promise<HandlerOutcome>;
}

interface OnEventOptions {
  /** Lower runs first (default 0); handlers of one priority run side by side. */
  priority?: number;
}

const ON_EVENT = Symbol('on-event');
interface OnEventMetadata {
  types: readonly EventType[];
  priority: number;
}

/**
 * Subscribes the decorated method to events of `types`: found on every provider when the app starts.
 * The method takes the event and answers with a HandlerOutcome.
 */
export function OnEvent<T extends EventType>(types: T | readonly T[], options: OnEventOptions = {}) {
  const metadata: OnEventMetadata = { types: typeof types === 'string' ? [types] : types, priority: options.priority ?? 0 };
  return <M extends EventHandler<T>>(target: object, key: string | symbol, descriptor: TypedPropertyDescriptor<M>): void => {
    SetMetadata(ON_EVENT, metadata)(target, key, descriptor);
  };
}

/**
 * In-process publish of the service's events (event-map.ts) to independent subscribers. Handlers run
 * by priority, those of one priority side by side; one that throws is logged and does not stop the
 * others. Knows no feature: subscribers declare themselves with `@OnEvent`.
 */
@Injectable()
export class EventBus implements OnModuleInit {
  private readonly logger = new Logger('EventBus');
  private readonly subscriptions: Subscription[] = [];

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  /** Every provider is built before any onModuleInit runs, so all handlers are known before a publish. */
  onModuleInit(): void {
    const seen = new Set<object>();
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.instance;
      if (!instance || typeof instance !== 'object' || seen.has(instance)) continue;
      seen.add(instance);
      const methods = instance as Record<string, unknown>;
      for (const method of this.scanner.getAllMethodNames(Object.getPrototypeOf(instance) as object)) {
        const handler = methods[method];
        if (typeof handler !== 'function') continue;
        const meta = this.reflector.get<OnEventMetadata | undefined>(ON_EVENT, handler);
        if (!meta) continue;
        const handle = handler.bind(instance) as Subscription['handle'];
        this.add({ name: `${instance.constructor.name}.${method}`, types: new Set(meta.types), priority: meta.priority, handle });
      }
    }
  }

  /** A handler added by hand (tests, tools); features use `@OnEvent`. */
  subscribe<T extends EventType>(name: string, types: readonly T[], handle: EventHandler<T>, options: OnEventOptions = {}): void {
    this.add({ name, types: new Set(types), priority: options.priority ?? 0, handle: handle as Subscription['handle'] });
  }

  /** Hands `event` to every handler of its type; never rejects. */
  async publish(event: BusEvent): Promise<PublishOutcome> {
    const handlers = this.subscriptions.filter((s) => s.types.has(event.type));
    let outcome: PublishOutcome = 'taken';
    for (let i = 0; i < handlers.length; ) {
      const priority = handlers[i].priority;
      const group: Subscription[] = [];
      while (i < handlers.length && handlers[i].priority === priority) group.push(handlers[i++]);
      const outcomes = await Promise.all(group.map((s) => this.run(s, event)));
      if (outcomes.includes('deliver-again')) outcome = 'deliver-again';
    }
    return outcome;
  }

  private add(subscription: Subscription): void {
    this.subscriptions.push(subscription);
    // Stable: one priority keeps the order of subscription.
    this.subscriptions.sort((a, b) => a.priority - b.priority);
  }

  private async run(s: Subscription, event: BusEvent): Promise<HandlerOutcome> {
    try {
      const outcome = await s.handle(event);
      if (outcome === 'deliver-again') this.logger.warn(`${s.name} could not take in ${describe(event)}: its source should deliver it again`);
      return outcome;
    } catch (err) {
      this.logger.warn(`${s.name} failed on ${describe(event)}: ${err instanceof Error ? err.name : typeof err}`);
      return 'taken';
    }
  }
}

/** Ids only: payloads hold tenant names and labels. */
function describe(event: BusEvent): string {
  if ('sessionId' in event) return `${event.type} for session ${event.sessionId}`;
  return `${event.type} for account ${event.accountId}`;
}
