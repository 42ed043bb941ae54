/** Anything that runs SQL: the DataSource, an EntityManager inside a transaction, or a QueryRunner. */
export interface Queryable {
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
}
