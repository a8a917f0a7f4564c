from sources.generate.cli import main

raise SystemExit(main())
