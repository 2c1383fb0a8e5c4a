crate::on_both_backends!();
