from esoutien.cli import main

main()
