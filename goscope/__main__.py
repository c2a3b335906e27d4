from goscope.cli import main

main()
