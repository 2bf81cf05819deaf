import { describe, expect, it } from 'vitest';
import { NODE_CATALOG } from '../flows/node-catalog.ts';
import { NODE_EXECUTORS } from './node-executors.ts';

describe('the executor table', () => {
  it('has exactly one executor per node kind of the catalog', () => {
    expect([...NODE_EXECUTORS.keys()].sort()).toEqual(NODE_CATALOG.map((d) => d.type).sort());
  });
});
