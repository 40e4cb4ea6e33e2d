// Minimal launcher for a local, loopback-only Neo4j Community server (no Docker, no tarball).
//
// It runs the embedded DBMS (org.neo4j.dbms.api.DatabaseManagementServiceBuilder) with the
// Bolt connector switched on, so ordinary drivers connect to it exactly as to a packaged
// Neo4j server, with bolt:// and neo4j:// (routing) URIs alike.
//
// Started and stopped by localneo4j/process.py, which compiles this file against the jars
// that localneo4j/launcher/pom.xml fetches. Usage (all options required except --config
// and --password-timeout, 120s by default):
//
//   java -Xms1g -Xmx1g -cp classes:lib/* ContactGraphNeo4j \
//       --home DIR --port 7687 --password-file FILE --pagecache 1g --tx-timeout 30s \
//       [--password-timeout 120s] [--config EXTRA.conf]
//
// SIGTERM (or Ctrl-C) runs a shutdown hook that shuts the DBMS down cleanly.
//
// Bolt opens before the neo4j user's password is set. If setting it fails, or does not
// finish within --password-timeout, the server would go on answering on whatever password
// the user had (on a new store, the default 'neo4j'), so the launcher prints a line
// starting "ContactGraphNeo4j: password not set" and exits with status 3 instead.

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.neo4j.configuration.GraphDatabaseInternalSettings;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.SettingValueParsers;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.BoltConnectorInternalSettings;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.logging.Level;
import org.neo4j.logging.log4j.Log4jLogProvider;

public final class ContactGraphNeo4j {
    private static final String HOST = "127.0.0.1";
    /** The exit status when the password step fails or times out (process.py reads the line). */
    private static final int PASSWORD_NOT_SET = 3;

    public static void main(String[] argv) throws Exception {
        Map<String, String> args = parseArgs(argv);
        Path home = Path.of(require(args, "--home")).toAbsolutePath();
        int port = Integer.parseInt(require(args, "--port"));
        Path passwordFile = Path.of(require(args, "--password-file"));
        long pagecache = SettingValueParsers.BYTES.parse(require(args, "--pagecache"));
        Duration txTimeout = SettingValueParsers.DURATION.parse(require(args, "--tx-timeout"));
        Duration passwordTimeout =
                SettingValueParsers.DURATION.parse(args.getOrDefault("--password-timeout", "120s"));
        String password = Files.readString(passwordFile, StandardCharsets.UTF_8).strip();

        DatabaseManagementServiceBuilder builder = new DatabaseManagementServiceBuilder(home);
        if (args.containsKey("--config")) {
            // Optional extra neo4j.conf-style settings; the explicit ones below win.
            builder.loadPropertiesFromFile(Path.of(args.get("--config")));
        }
        builder
                // Folders: everything lives under the instance folder.
                .setConfig(GraphDatabaseSettings.data_directory, home.resolve("data"))
                .setConfig(GraphDatabaseSettings.logs_directory, home.resolve("logs"))
                // Loopback only, for every connector that might open.
                .setConfig(GraphDatabaseSettings.default_listen_address, new SocketAddress(HOST))
                .setConfig(GraphDatabaseSettings.default_advertised_address, new SocketAddress(HOST))
                // Bolt on 127.0.0.1:<port>. The advertised address is what the routing table
                // hands to neo4j:// drivers, so it must be the same reachable address.
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress(HOST, port))
                .setConfig(BoltConnector.advertised_address, new SocketAddress(HOST, port))
                .setConfig(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED)
                // No UDP fleet-discovery broadcasts and no phoning home.
                .setConfig(BoltConnector.enable_discovery, false)
                .setConfig(GraphDatabaseSettings.udc_enabled, false)
                // Single instance: drivers route client-side from the Bolt routing table; the
                // separate server-side routing connector (default port 7688) is not needed.
                .setConfig(GraphDatabaseSettings.routing_enabled, false)
                // Auth on; the neo4j user's password is set from the file below.
                .setConfig(GraphDatabaseSettings.auth_enabled, true)
                // Memory and transaction limits (heap is the JVM's -Xmx, set by the caller).
                .setConfig(GraphDatabaseSettings.pagecache_memory, pagecache)
                .setConfig(GraphDatabaseSettings.transaction_timeout, txTimeout)
                // Stop in ~1s instead of ~10s: by the time Bolt shuts down, the databases
                // are already checkpointed and closed, so these waits buy nothing here.
                .setConfig(BoltConnectorInternalSettings.connection_shutdown_wait_time, Duration.ofSeconds(1))
                .setConfig(GraphDatabaseInternalSettings.netty_server_shutdown_quiet_period, Duration.ZERO)
                .setConfig(GraphDatabaseInternalSettings.netty_server_shutdown_timeout, Duration.ofSeconds(2))
                // Human-readable log (the "neo4j.log" of a packaged server) to stdout.
                .setUserLogProvider(new Log4jLogProvider(System.out, Level.INFO));

        DatabaseManagementService dbms = builder.build();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(() -> {
                    System.out.println("ContactGraphNeo4j: shutting down");
                    try {
                        dbms.shutdown();
                    } finally {
                        System.out.println("ContactGraphNeo4j: stopped");
                        stopped.countDown();
                    }
                }, "contactgraph-shutdown"));

        String failure = passwordStep(dbms, password, passwordTimeout);
        if (failure != null) {
            System.out.println("ContactGraphNeo4j: password not set: " + failure
                    + "; stopping rather than serve on the password the user had");
            System.out.flush();
            System.exit(PASSWORD_NOT_SET); // The shutdown hook shuts the DBMS down.
        }
        System.out.println("ContactGraphNeo4j: ready on bolt://" + HOST + ":" + port);
        stopped.await(); // Keep the JVM alive until the shutdown hook has run.
    }

    /**
     * The password step, bounded by `timeout`, which is also its transaction's timeout (so
     * the requests' --tx-timeout does not cut it short on a slow first start): null when
     * the password is set, else what went wrong.
     */
    private static String passwordStep(
            DatabaseManagementService dbms, String password, Duration timeout) {
        FutureTask<Void> step = new FutureTask<>(() -> {
            setPassword(dbms, password, timeout);
            return null;
        });
        Thread worker = new Thread(step, "contactgraph-password");
        worker.setDaemon(true);
        worker.start();
        try {
            step.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return null;
        } catch (TimeoutException e) {
            step.cancel(true);
            return "it did not finish within " + timeout.toSeconds() + "s";
        } catch (ExecutionException e) {
            return String.valueOf(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    /**
     * Sets the neo4j user's password on every start. Embedded transactions bypass auth, so
     * this works on first start (default password 'neo4j', change required) and on later
     * starts alike. Neo4j refuses to "change" a password to the same value, so when it is
     * already right only the change-required flag is cleared.
     */
    private static void setPassword(
            DatabaseManagementService dbms, String password, Duration timeout) {
        var system = dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME);
        Map<String, Object> params = new HashMap<>();
        params.put("pw", password);
        try {
            system.executeTransactionally(
                    "ALTER USER neo4j SET PASSWORD $pw CHANGE NOT REQUIRED", params,
                    result -> null, timeout);
        } catch (RuntimeException e) {
            String message = String.valueOf(e.getMessage());
            if (!message.contains("cannot be the same")) {
                throw e;
            }
            system.executeTransactionally(
                    "ALTER USER neo4j SET PASSWORD CHANGE NOT REQUIRED", Map.of(),
                    result -> null, timeout);
        }
    }

    private static Map<String, String> parseArgs(String[] argv) {
        Map<String, String> out = new HashMap<>();
        for (int i = 0; i < argv.length; i++) {
            if (!argv[i].startsWith("--") || i + 1 >= argv.length) {
                throw new IllegalArgumentException("expected --option value, got: " + argv[i]);
            }
            out.put(argv[i], argv[++i]);
        }
        return out;
    }

    private static String require(Map<String, String> args, String key) {
        String value = args.get(key);
        if (value == null) {
            throw new IllegalArgumentException("missing required option " + key);
        }
        return value;
    }
}
