{#- The SQL is in macros/portal_events.sql: fct_dossiers' incremental branch reuses it. -#}
{{ portal_events_select() }}
