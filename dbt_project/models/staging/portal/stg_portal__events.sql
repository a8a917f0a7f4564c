{{ portal_events_deduplicated() }}
