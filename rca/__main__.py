from rca.cli import main

raise SystemExit(main())
