// The @neo4j/graphql peer: the Neo4j GraphQL Library over the same Neo4j and data as
// ContactGraph, served by graphql-http on Node's own http module (the lightest server that
// speaks GraphQL over HTTP), on 127.0.0.1 only.
//
// Production-like, and given the same advantages ContactGraph has:
// - the bearer token is verified (ES256/RS256 signature, issuer, audience, expiry) against
//   the development JWKS before anything is parsed, and handed to the library as an
//   already-verified JWT, so its @authorization filter sees the viewer's claims;
// - parsed and validated documents are cached (as Apollo Server or GraphQL Yoga would), so
//   a repeated query pays for execution only;
// - every response carries extensions.cypherRoundTrips: the Cypher statements the library
//   ran for it, counted at the driver, so "one query per request" is measured, not assumed.
//
// Environment: NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD, [NEO4J_DATABASE], JWKS_FILE,
// JWT_ISSUER, JWT_AUDIENCE, PORT (8102), BENCH_MAX_LIFETIME_S (stop by itself after this).
import http from "node:http";
import { readFileSync } from "node:fs";

import { Neo4jGraphQL } from "@neo4j/graphql";
import { getOperationAST, parse, validate } from "graphql";
import { createHandler } from "graphql-http/lib/use/http";
import { createLocalJWKSet, jwtVerify } from "jose";
import neo4j from "neo4j-driver";

import { typeDefs } from "./typeDefs.mjs";

const HOST = "127.0.0.1";
const PORT = Number(process.env.PORT || 8102);
const MAX_LIFETIME_S = Number(process.env.BENCH_MAX_LIFETIME_S || 0);
const MAX_BODY = 256 * 1024;
const DOCUMENT_CACHE_SIZE = 500;

function required(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`neo4j-graphql peer: ${name} is not set`);
    process.exit(2);
  }
  return value;
}

const driver = neo4j.driver(
  required("NEO4J_URI"),
  neo4j.auth.basic(process.env.NEO4J_USER || "neo4j", required("NEO4J_PASSWORD")),
  { maxConnectionPoolSize: 50, connectionAcquisitionTimeout: 2000, disableLosslessIntegers: true },
);
const database = process.env.NEO4J_DATABASE || undefined;
const jwks = createLocalJWKSet(JSON.parse(readFileSync(required("JWKS_FILE"), "utf8")));
const verifyOptions = {
  issuer: required("JWT_ISSUER"),
  audience: required("JWT_AUDIENCE"),
  algorithms: ["ES256", "RS256"],
  requiredClaims: ["exp", "sub"],
  clockTolerance: 30,
};

const library = new Neo4jGraphQL({ typeDefs, driver });
const schema = await library.getSchema();

// A driver look-alike that counts the statements run for one request. The library only
// calls session(); everything else passes straight through.
function countingDriver(counter) {
  const wrapTx = (tx) =>
    new Proxy(tx, {
      get(target, prop) {
        if (prop === "run") {
          return (...args) => {
            counter.n += 1;
            return target.run(...args);
          };
        }
        const value = target[prop];
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  return {
    session(config) {
      const session = driver.session({ database, ...config });
      return new Proxy(session, {
        get(target, prop) {
          if (prop === "executeRead" || prop === "executeWrite") {
            return (work, txConfig) => target[prop]((tx) => work(wrapTx(tx)), txConfig);
          }
          if (prop === "run") {
            return (...args) => {
              counter.n += 1;
              return target.run(...args);
            };
          }
          const value = target[prop];
          return typeof value === "function" ? value.bind(target) : value;
        },
      });
    },
  };
}

const documents = new Map(); // query text -> parsed and validated DocumentNode

function prepared(query) {
  const hit = documents.get(query);
  if (hit) return { document: hit };
  let document;
  try {
    document = parse(query);
  } catch (error) {
    return { errors: [error] };
  }
  const errors = validate(schema, document);
  if (errors.length) return { errors };
  if (documents.size >= DOCUMENT_CACHE_SIZE) documents.delete(documents.keys().next().value);
  documents.set(query, document);
  return { document };
}

function unauthenticated(message) {
  return [
    JSON.stringify({ errors: [{ message, extensions: { code: "UNAUTHENTICATED" } }] }),
    { status: 401, statusText: "Unauthorized", headers: { "content-type": "application/json" } },
  ];
}

const handler = createHandler({
  schema,
  async onSubscribe(req, params) {
    const header = req.raw.headers.authorization || "";
    const [scheme, token] = header.split(" ");
    if (!token || scheme.toLowerCase() !== "bearer") return unauthenticated("missing bearer token");
    let jwt;
    try {
      ({ payload: jwt } = await jwtVerify(token.trim(), jwks, verifyOptions));
    } catch {
      return unauthenticated("invalid or expired token");
    }
    const { document, errors } = prepared(params.query);
    if (errors) return errors;
    const operation = getOperationAST(document, params.operationName);
    if (!operation || operation.operation !== "query") {
      return [
        JSON.stringify({ errors: [{ message: "only queries are served by this peer" }] }),
        { status: 400, statusText: "Bad Request", headers: { "content-type": "application/json" } },
      ];
    }
    const counter = { n: 0 };
    return {
      schema,
      document,
      operationName: params.operationName,
      variableValues: params.variables,
      contextValue: { jwt, executionContext: countingDriver(counter), counter },
    };
  },
  onOperation(req, args, result) {
    result.extensions = { ...result.extensions, cypherRoundTrips: args.contextValue.counter.n };
    return result;
  },
});

const server = http.createServer((req, res) => {
  if (req.url === "/healthz") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end('{"status":"ok"}');
    return;
  }
  if (req.url !== "/graphql") {
    res.writeHead(404).end();
    return;
  }
  if (Number(req.headers["content-length"] || 0) > MAX_BODY) {
    res.writeHead(413).end();
    return;
  }
  handler(req, res).catch((error) => {
    console.error(error);
    if (!res.headersSent) res.writeHead(500);
    res.end();
  });
});
server.keepAliveTimeout = 65_000;
server.requestTimeout = 30_000;

let closing = false;
async function shutdown(reason) {
  if (closing) return;
  closing = true;
  console.error(`neo4j-graphql peer: stopping (${reason})`);
  const force = setTimeout(() => process.exit(0), 5000);
  force.unref();
  server.close();
  server.closeAllConnections?.();
  await driver.close();
  process.exit(0);
}
process.on("SIGTERM", () => shutdown("SIGTERM"));
process.on("SIGINT", () => shutdown("SIGINT"));
if (MAX_LIFETIME_S > 0) setTimeout(() => shutdown("max lifetime reached"), MAX_LIFETIME_S * 1000).unref();

await driver.verifyConnectivity({ database });
server.listen(PORT, HOST, () => {
  console.error(`neo4j-graphql peer: listening on http://${HOST}:${PORT}/graphql`);
});
