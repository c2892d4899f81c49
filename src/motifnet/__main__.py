import sys

from motifnet.cli import main

sys.exit(main())
