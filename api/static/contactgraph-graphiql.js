// Starts GraphiQL for ContactGraph. Served from the app itself (script-src 'self'): the
// page has no inline script and loads nothing from any other host.
(function () {
  'use strict';

  var FIRST_QUERY = [
    '# Who supports Hannah, and how do I reach them?',
    '# 1. In the Headers tab below, put a token after "Bearer ":',
    '#    the last line of  .local/venv/bin/contactgraph token',
    '#    --role PRACTITIONER --practitioner-id p-melanie --local-authority NBR',
    '# 2. Run this query: the pink button, or Ctrl-Enter.',
    '# 3. Re-fetch the schema (the circling arrows, bottom left) for the',
    '#    documentation explorer and autocompletion.',
    '{',
    '  searchChildren(input: {childId: "c-hannah"}) {',
    '    truncated',
    '    matches {',
    '      id givenName familyName shielded',
    '      involvements {',
    '        service { name kind }',
    '        practitioner { name jobTitle contact { phone email } }',
    '        startedOn endedOn active',
    '      }',
    '      leadProfessional { name }',
    '      hasCommonAssessment',
    '    }',
    '  }',
    '}',
    ''
  ].join('\n');

  var HEADERS = JSON.stringify(
    {
      Authorization: 'Bearer <paste the last line of: contactgraph token --role PRACTITIONER --practitioner-id p-melanie --local-authority NBR>',
      'X-Purpose': 'checking who supports Hannah'
    },
    null,
    2
  );

  var root = document.getElementById('graphiql');
  root.style.height = '100vh';
  document.body.style.margin = '0';

  var fetcher = GraphiQL.createFetcher({ url: '/graphql' });
  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: FIRST_QUERY,
      defaultHeaders: HEADERS,
      headerEditorEnabled: true,
      shouldPersistHeaders: false,
      defaultEditorToolsVisibility: 'headers',
      isHeadersEditorEnabled: true
    })
  );
})();
