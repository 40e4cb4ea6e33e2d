import sys

from localneo4j.cli import main

sys.exit(main())
