// A JSON answer that is the same object request after request (a view the view cache remembers, issue 18) is
// serialized once, by the route's own response schema, and its text sent again until the object is let go. (The
// schemas' nullable parts make fast-json-stringify validate each branch, date formats included, on every answer.)
import type { FastifyReply } from 'fastify';

const texts = new WeakMap<object, string>();

/** Sends `body()` as the route's 200 answer, serialized once per `answer` (the object the body is made from). */
export function sendRemembered(reply: FastifyReply, answer: object, body: () => unknown): FastifyReply {
  let text = texts.get(answer);
  if (text === undefined) {
    text = reply.serialize(body()) as string;
    texts.set(answer, text);
  }
  return reply.type('application/json; charset=utf-8').send(text);
}
