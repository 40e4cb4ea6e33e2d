import sys

from bench.run.main import main

sys.exit(main())
