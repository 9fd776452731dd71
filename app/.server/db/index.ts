export { asUser, asService, sql, configureDatabase, closeDatabase, type Sql, type Tx } from "./connection";
