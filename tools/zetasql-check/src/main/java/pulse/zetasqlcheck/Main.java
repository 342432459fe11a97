package pulse.zetasqlcheck;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.zetasql.Analyzer;
import com.google.zetasql.AnalyzerOptions;
import com.google.zetasql.ParseResumeLocation;
import com.google.zetasql.SimpleColumn;
import com.google.zetasql.SimpleTable;
import com.google.zetasql.ZetaSQLOptions.ProductMode;
import com.google.zetasql.resolvedast.ResolvedCreateStatementEnums.CreateMode;
import com.google.zetasql.resolvedast.ResolvedCreateStatementEnums.CreateScope;
import com.google.zetasql.resolvedast.ResolvedNodes.ResolvedCreateStatement;
import com.google.zetasql.resolvedast.ResolvedNodes.ResolvedCreateTableAsSelectStmt;
import com.google.zetasql.resolvedast.ResolvedNodes.ResolvedDropStmt;
import com.google.zetasql.resolvedast.ResolvedNodes.ResolvedCreateViewBase;
import com.google.zetasql.resolvedast.ResolvedNodes.ResolvedOutputColumn;
import com.google.zetasql.resolvedast.ResolvedNodes.ResolvedStatement;
import com.google.zetasql.toolkit.catalog.bigquery.BigQueryCatalog;
import com.google.zetasql.toolkit.catalog.bigquery.LocalBigQueryResourceProvider;
import com.google.zetasql.toolkit.catalog.io.CatalogResources;
import com.google.zetasql.toolkit.catalog.typeparser.ZetaSQLTypeParser;
import com.google.zetasql.toolkit.options.BigQueryLanguageOptions;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Analyses BigQuery statements with ZetaSQL (BigQuery language options, BigQuery catalog semantics).
 *
 * <p>Protocol: one JSON request per line on stdin, one JSON response per line on stdout, so one JVM
 * (and one load of the JNI analyzer, about a second) serves a whole check. The first request declares
 * the catalog's tables; each later one analyses units in order. A unit is a script whose CREATE
 * statements update the shared catalog (so later units see the tables it builds, with the columns
 * ZetaSQL inferred), unless it is isolated: then it runs on a copy and leaves nothing behind.
 */
public final class Main {
  record Column(String name, String type) {}

  record Table(String name, List<Column> columns) {}

  record Unit(String id, List<String> statements, boolean isolated, List<String> after) {}

  record Request(String op, String projectId, List<Table> tables, List<Unit> units) {}

  record Created(String name, List<Column> columns) {}

  /** status: ok | error | skipped. statement, line and column (1-based) locate an error. */
  record Result(String id, String status, Integer statement, Integer line, Integer column, String message, List<Created> created) {}

  record Response(String error, List<Result> results) {}

  private static final Pattern LOCATION = Pattern.compile("\\[at (\\d+):(\\d+)\\]");

  private final Gson gson = new GsonBuilder().disableHtmlEscaping().create();
  private final AnalyzerOptions options = new AnalyzerOptions();
  private BigQueryCatalog catalog;
  private final Set<String> failed = new HashSet<>();

  private Main() {
    options.setLanguageOptions(BigQueryLanguageOptions.get());
    options.setCreateNewColumnForEachProjectedOutput(true);
  }

  public static void main(String[] args) throws Exception {
    // The analyzer's native side logs to stdout/stderr on its own; keep stdout for the protocol.
    PrintStream protocol = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    System.setOut(System.err);
    Main main = new Main();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line = in.readLine(); line != null; line = in.readLine()) {
      if (line.isBlank()) continue;
      Response response;
      try {
        response = main.handle(main.gson.fromJson(line, Request.class));
      } catch (RuntimeException e) {
        e.printStackTrace();
        response = new Response(String.valueOf(e), null);
      }
      protocol.println(main.gson.toJson(response));
    }
  }

  private Response handle(Request request) {
    switch (request.op()) {
      case "declare":
        declare(request.projectId(), request.tables());
        return new Response(null, List.of());
      case "analyze":
        if (catalog == null) throw new IllegalStateException("analyze before declare");
        List<Result> results = new ArrayList<>();
        for (Unit unit : request.units()) results.add(analyze(unit));
        return new Response(null, results);
      default:
        throw new IllegalArgumentException("unknown op " + request.op());
    }
  }

  private void declare(String projectId, List<Table> tables) {
    List<SimpleTable> simpleTables = new ArrayList<>();
    for (Table table : tables) {
      SimpleTable simple = new SimpleTable(table.name());
      for (Column c : table.columns()) simple.addSimpleColumn(new SimpleColumn(table.name(), c.name(), ZetaSQLTypeParser.parse(c.type())));
      simpleTables.add(simple);
    }
    // A local resource provider: the catalog never calls the BigQuery API, so no credentials are needed.
    catalog = new BigQueryCatalog(projectId, new LocalBigQueryResourceProvider(new CatalogResources(simpleTables, List.of(), List.of(), List.of())));
    for (SimpleTable t : simpleTables) catalog.register(t, CreateMode.CREATE_DEFAULT, CreateScope.CREATE_DEFAULT_SCOPE);
    failed.clear();
  }

  private Result analyze(Unit unit) {
    for (String dependency : unit.after() == null ? List.<String>of() : unit.after()) {
      if (failed.contains(dependency)) {
        failed.add(unit.id());
        return new Result(unit.id(), "skipped", null, null, null, "depends on " + dependency + ", which failed", List.of());
      }
    }
    BigQueryCatalog target = unit.isolated() ? catalog.copy() : catalog;
    List<Created> created = new ArrayList<>();
    for (int i = 0; i < unit.statements().size(); i++) {
      String sql = unit.statements().get(i);
      byte[] bytes = sql.getBytes(StandardCharsets.UTF_8);
      ParseResumeLocation location = new ParseResumeLocation(sql);
      try {
        while (!onlyCommentsFrom(bytes, location.getBytePosition())) {
          ResolvedStatement statement = Analyzer.analyzeNextStatement(location, options, target.getZetaSQLCatalog());
          Created c = applyToCatalog(statement, target);
          if (c != null) created.add(c);
        }
      } catch (RuntimeException e) {
        failed.add(unit.id());
        String message = e.getMessage() == null ? e.toString() : e.getMessage();
        Matcher at = LOCATION.matcher(message);
        Integer line = null, column = null;
        if (at.find()) {
          line = Integer.valueOf(at.group(1));
          column = Integer.valueOf(at.group(2));
        }
        return new Result(unit.id(), "error", i, line, column, message.replaceFirst("^(com\\.google\\S+: )+", ""), created);
      }
    }
    return new Result(unit.id(), "ok", null, null, null, null, created);
  }

  private static boolean onlyCommentsFrom(byte[] bytes, int position) {
    String rest = new String(bytes, position, bytes.length - position, StandardCharsets.UTF_8);
    return rest.replaceAll("--[^\\n]*", "").replaceAll("(?s)/\\*.*?\\*/", "").isBlank();
  }

  /**
   * What BigQuery's catalog would hold after the statement: a table or view it creates (temp tables under their
   * bare name), or one it drops. ALTER TABLE is not followed: pulse's plans alter a table only when its columns
   * changed, which a check that infers the columns from the same SQL never sees.
   */
  private static Created applyToCatalog(ResolvedStatement statement, BigQueryCatalog target) {
    if (statement instanceof ResolvedDropStmt drop) {
      String name = String.join(".", drop.getNamePath());
      try {
        target.removeTable(name);
      } catch (RuntimeException e) {
        if (!drop.getIsIfExists()) throw e;
      }
      return null;
    }
    Created created = createdBy(statement);
    if (created == null) return null;
    ResolvedCreateStatement create = (ResolvedCreateStatement) statement;
    SimpleTable table = new SimpleTable(created.name());
    for (Column c : created.columns()) table.addSimpleColumn(new SimpleColumn(created.name(), c.name(), ZetaSQLTypeParser.parse(c.type())));
    target.register(table, create.getCreateMode(), create.getCreateScope());
    return created;
  }

  /** The relation a CREATE TABLE AS / CREATE VIEW builds, with the columns ZetaSQL inferred for it. */
  private static Created createdBy(ResolvedStatement statement) {
    List<ResolvedOutputColumn> outputs;
    List<String> namePath;
    if (statement instanceof ResolvedCreateTableAsSelectStmt ctas) {
      outputs = ctas.getOutputColumnList();
      namePath = ctas.getNamePath();
    } else if (statement instanceof ResolvedCreateViewBase view) {
      outputs = view.getOutputColumnList();
      namePath = view.getNamePath();
    } else {
      return null;
    }
    List<Column> columns = new ArrayList<>();
    for (ResolvedOutputColumn o : outputs) columns.add(new Column(o.getName(), o.getColumn().getType().typeName(ProductMode.PRODUCT_EXTERNAL)));
    return new Created(String.join(".", namePath), columns);
  }
}
