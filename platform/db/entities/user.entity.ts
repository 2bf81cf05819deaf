import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

export const UserSchema = defineEntity({
  name: 'User',
  tableName: 'users',
  properties: {
    id: p.uuid().primary(),
    email: p.text(),
    name: p.text(),
    /** scrypt parameters, salt and hash; never serialised. */
    passwordHash: p.text().hidden(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
    lastLoginAt: p.datetime().nullable(),
    /** Session tokens carry the version current when issued; bumping it ends every older token. */
    tokenVersion: p.integer().default(0),
  },
});
export type User = InferEntity<typeof UserSchema>;
